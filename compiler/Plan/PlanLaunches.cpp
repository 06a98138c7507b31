//===- PlanLaunches.cpp - kernel-level moe ops → launch plan + kernels ----===//
//
// One buffer per tensor, one kernel function per op, one moe.launch_plan per
// function (Passes.td). Every dynamic extent of an MoE layer is the token
// count T or a multiple of it (T*K token copies), so buffers are sized from
// T alone at each call.
//
//===----------------------------------------------------------------------===//
#include "compiler/Plan/Passes.h"

#include "dialects/moe/IR/MoEOps.h"
#include "runtime/schema/kernel_abi.h"

#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

namespace hexmoe::compiler {
#define GEN_PASS_DEF_MOEPLANLAUNCHES
#include "compiler/Plan/Passes.h.inc"
} // namespace hexmoe::compiler

using namespace mlir;
using namespace hexmoe;
using moe::BufferKind;
using moe::ExtentAttr;

namespace {

struct Buffer {
  BufferKind kind;
  int64_t index = 0;
  std::string name;
  Type elementType;
  SmallVector<ExtentAttr> shape;
};

int64_t staticDim(Value v, unsigned i) { return cast<RankedTensorType>(v.getType()).getDimSize(i); }

/// Whether `use` is a weight operand whose kernels read moe.dequant's
/// formats in place (every target's kernels for these ops do).
bool readsWeightFormats(OpOperand &use) {
  Operation *op = use.getOwner();
  Value v = use.get();
  if (auto l = dyn_cast<moe::LinearOp>(op)) return v == l.getWeight() && v != l.getBias();
  if (auto a = dyn_cast<moe::MlaAttentionOp>(op)) return v == a.getKvB();
  if (auto g = dyn_cast<moe::GroupedGateUpOp>(op)) return v == g.getGate() || v == g.getUp();
  if (auto d = dyn_cast<moe::GroupedDownOp>(op)) return v == d.getDown();
  return false;
}

/// Plans one function.
class FunctionPlanner {
public:
  FunctionPlanner(ModuleOp module, func::FuncOp func) : module_(module), func_(func), b_(func.getContext()) {}

  LogicalResult run();

private:
  LogicalResult addArguments();
  LogicalResult plan(Operation *op);
  ExtentAttr rowsOf(Value v) { return buffers_[bufferIndex_.lookup(v)].shape[0]; }
  ExtentAttr fixed(int64_t n) { return ExtentAttr::getStatic(func_.getContext(), n); }
  void addTransient(Value v, StringRef name, SmallVector<ExtentAttr> shape);
  /// Moves `op` into kernel function `<func>_<n>_<kind>` covering `workload`
  /// and records its dispatch.
  void outline(Operation *op, StringRef kind, ExtentAttr workload);

  ModuleOp module_;
  func::FuncOp func_;
  OpBuilder b_;
  SmallVector<std::string> dimNames_;
  SmallVector<Buffer> buffers_;
  llvm::DenseMap<Value, int32_t> bufferIndex_;
  struct Dispatch {
    std::string kernel;
    SmallVector<int32_t> bindings;
    ExtentAttr workload;
  };
  SmallVector<Dispatch> dispatches_;
};

LogicalResult FunctionPlanner::addArguments() {
  int64_t arguments = 0, weights = 0;
  for (BlockArgument arg : func_.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type)
      return func_.emitError() << "argument " << arg.getArgNumber() << " must be a ranked tensor, got "
                               << arg.getType();
    Buffer buf;
    // `moe.weight = "<tensor>"`: a constant of the checkpoint, bound by the
    // runtime, not passed by callers.
    auto weightAttr = func_.getArgAttrOfType<StringAttr>(arg.getArgNumber(), compiler::kWeightAttr);
    auto nameAttr = func_.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "moe.name");
    if (weightAttr) {
      if (!type.hasStaticShape())
        return func_.emitError() << "argument " << arg.getArgNumber() << " is weight '" << weightAttr.getValue()
                                 << "', which must have a static shape, got " << type;
      if (weightAttr.getValue().empty())
        return func_.emitError() << "argument " << arg.getArgNumber() << ": moe.weight names no tensor";
      buf.name = weightAttr.str();
      buf.kind = BufferKind::weight;
      buf.index = weights++;
    } else {
      buf.name = nameAttr ? nameAttr.str() : "arg" + std::to_string(arg.getArgNumber());
      buf.kind = BufferKind::argument;
      buf.index = arguments++;
    }
    buf.elementType = type.getElementType();
    for (int64_t d : type.getShape()) {
      if (!ShapedType::isDynamic(d)) {
        buf.shape.push_back(fixed(d));
        continue;
      }
      if (dimNames_.empty()) dimNames_.push_back("T");
      buf.shape.push_back(ExtentAttr::getDynamic(func_.getContext(), 0));
    }
    bufferIndex_[arg] = buffers_.size();
    buffers_.push_back(std::move(buf));
  }
  return success();
}

void FunctionPlanner::addTransient(Value v, StringRef name, SmallVector<ExtentAttr> shape) {
  Buffer buf;
  buf.kind = BufferKind::transient;
  buf.name = name.str();
  buf.elementType = cast<RankedTensorType>(v.getType()).getElementType();
  buf.shape = std::move(shape);
  bufferIndex_[v] = buffers_.size();
  buffers_.push_back(std::move(buf));
}

void FunctionPlanner::outline(Operation *op, StringRef kind, ExtentAttr workload) {
  Dispatch d;
  d.kernel = (func_.getName() + "_" + Twine(dispatches_.size()) + "_" + kind).str();
  // The binding order of every kernel: the op's operands, then its results;
  // an operand made by moe.dequant binds its quantized weight and its scales
  // in its place, and the kernel holds the dequant before the op.
  SmallVector<Value> inputs;
  for (Value v : op->getOperands()) {
    if (auto dq = v.getDefiningOp<moe::DequantOp>()) {
      inputs.append({dq.getQuantized(), dq.getScale()});
      continue;
    }
    inputs.push_back(v);
  }
  for (Value v : inputs) d.bindings.push_back(bufferIndex_.lookup(v));
  for (Value v : op->getResults()) d.bindings.push_back(bufferIndex_.lookup(v));
  d.workload = workload;

  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPoint(func_);
  SmallVector<Type> inputTypes;
  for (Value v : inputs) inputTypes.push_back(v.getType());
  auto kernel = func::FuncOp::create(b_, op->getLoc(), d.kernel,
                                     b_.getFunctionType(inputTypes, op->getResultTypes()));
  kernel.setPrivate();
  kernel->setAttr(compiler::kWorkloadAttr, workload);
  // The extents each binding has: what the kernel's code may index.
  SmallVector<Attribute> shapes;
  for (int32_t b : d.bindings) {
    SmallVector<Attribute> shape(buffers_[b].shape.begin(), buffers_[b].shape.end());
    shapes.push_back(b_.getArrayAttr(shape));
  }
  kernel->setAttr(compiler::kBindingsAttr, b_.getArrayAttr(shapes));
  Block *entry = kernel.addEntryBlock();
  b_.setInsertionPointToStart(entry);
  IRMapping mapping;
  mapping.map(inputs, entry->getArguments());
  for (Value v : op->getOperands())
    if (auto dq = v.getDefiningOp<moe::DequantOp>())
      if (!mapping.contains(v)) b_.clone(*dq, mapping);
  Operation *moved = b_.clone(*op, mapping);
  func::ReturnOp::create(b_, op->getLoc(), moved->getResults());
  dispatches_.push_back(std::move(d));
}

LogicalResult FunctionPlanner::plan(Operation *op) {
  auto name = [&](StringRef what) {
    return (op->getName().stripDialect() + "." + what + "." + Twine(dispatches_.size())).str();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<moe::RouterOp>([&](moe::RouterOp r) {
        ExtentAttr t = rowsOf(r.getHidden());
        int64_t k = r.getTopK();
        addTransient(r.getIds(), name("ids"), {t, fixed(k)});
        addTransient(r.getWeights(), name("weights"), {t, fixed(k)});
        outline(op, "router", t);
        return success();
      })
      .Case<moe::SortByExpertOp>([&](moe::SortByExpertOp s) {
        ExtentAttr t = rowsOf(s.getIds());
        int64_t k = staticDim(s.getIds(), 1), e = s.getNumExperts();
        addTransient(s.getOffsets(), name("offsets"), {fixed(e + 1)});
        addTransient(s.getCopies(), name("copies"), {t.scaled(k)});
        addTransient(s.getInverse(), name("inverse"), {t.scaled(k)});
        outline(op, "sort_by_expert", t);
        return success();
      })
      .Case<moe::GroupedGateUpOp>([&](moe::GroupedGateUpOp g) {
        ExtentAttr t = rowsOf(g.getHidden());
        bool grouped = static_cast<bool>(g.getOffsets());
        int64_t rank = grouped ? 3 : 2;
        int64_t inter = staticDim(g.getGate(), rank - 2);
        addTransient(g.getOut(), name("act"), {grouped ? t.scaled(g.getTopK()) : t, fixed(inter)});
        outline(op, grouped ? "expert_gate_up" : "dense_gate_up", t);
        return success();
      })
      .Case<moe::GroupedDownOp>([&](moe::GroupedDownOp d) {
        ExtentAttr rows = rowsOf(d.getAct());
        bool grouped = static_cast<bool>(d.getOffsets());
        int64_t h = staticDim(d.getDown(), (grouped ? 3 : 2) - 2);
        addTransient(d.getOut(), name("out"), {rows, fixed(h)});
        outline(op, grouped ? "expert_down" : "dense_down", rows);
        return success();
      })
      .Case<moe::CombineOp>([&](moe::CombineOp c) {
        ExtentAttr t = rowsOf(c.getWeights());
        addTransient(c.getOut(), name("out"), {t, fixed(staticDim(c.getExpertOut(), 1))});
        outline(op, "combine", t);
        return success();
      })
      .Case<moe::EmbeddingOp>([&](moe::EmbeddingOp e) {
        ExtentAttr t = rowsOf(e.getIds());
        addTransient(e.getOut(), name("out"), {t, fixed(staticDim(e.getTable(), 1))});
        outline(op, "embedding", t);
        return success();
      })
      .Case<moe::RmsNormOp, moe::RopeOp>([&](Operation *o) {
        Value input = o->getOperand(0);
        addTransient(o->getResult(0), name("out"), buffers_[bufferIndex_.lookup(input)].shape);
        outline(op, isa<moe::RmsNormOp>(o) ? "rms_norm" : "rope", rowsOf(input));
        return success();
      })
      .Case<moe::LinearOp>([&](moe::LinearOp l) {
        ExtentAttr t = rowsOf(l.getInput());
        addTransient(l.getOut(), name("out"), {t, fixed(staticDim(l.getWeight(), 0))});
        outline(op, "linear", t);
        return success();
      })
      .Case<moe::AddOp, moe::SigmoidGateOp>([&](Operation *o) {
        Value lhs = o->getOperand(0);
        addTransient(o->getResult(0), name("out"), buffers_[bufferIndex_.lookup(lhs)].shape);
        outline(op, isa<moe::AddOp>(o) ? "add" : "sigmoid_gate", rowsOf(lhs));
        return success();
      })
      .Case<moe::KvWriteOp>([&](moe::KvWriteOp w) -> LogicalResult {
        // In place: the cache is the caller's tensor, and the result is it.
        auto arg = dyn_cast<BlockArgument>(w.getCache());
        if (!arg || arg.getOwner() != &func_.getBody().front() ||
            buffers_[bufferIndex_.lookup(arg)].kind != BufferKind::argument)
          return w.emitOpError("writes its cache in place: the cache must be an argument of the function "
                               "(not a weight or another op's result)");
        if (!arg.hasOneUse())
          return w.emitOpError("must be the only use of its cache argument (later ops read its result)");
        bufferIndex_[w.getOut()] = bufferIndex_.lookup(arg);
        outline(op, "kv_write", rowsOf(w.getRows()));
        return success();
      })
      .Case<moe::AttentionOp>([&](moe::AttentionOp a) {
        ExtentAttr t = rowsOf(a.getQ());
        addTransient(a.getOut(), name("out"), {t, fixed(a.getNumHeads() * a.getVHeadDim())});
        outline(op, "attention", t.scaled(a.getNumHeads()));  // one (token, head) pair each
        return success();
      })
      .Case<moe::MlaAttentionOp>([&](moe::MlaAttentionOp a) {
        ExtentAttr t = rowsOf(a.getQ());
        addTransient(a.getOut(), name("out"), {t, fixed(a.getNumHeads() * a.getVDim())});
        outline(op, "mla_attention", t.scaled(a.getNumHeads()));
        return success();
      })
      .Case<moe::DequantOp>([&](moe::DequantOp dq) -> LogicalResult {
        // No kernel of its own: each user's kernel reads the stored format.
        for (Value in : {dq.getQuantized(), dq.getScale()}) {
          auto it = bufferIndex_.find(in);
          if (it == bufferIndex_.end() || buffers_[it->second].kind != BufferKind::weight)
            return dq.emitOpError("dequantises weights: its operands must be weight arguments of the function "
                                  "(moe.weight)");
        }
        for (OpOperand &use : dq->getUses())
          if (!readsWeightFormats(use))
            return dq.emitOpError() << "is used by " << use.getOwner()->getName() << " (operand "
                                    << use.getOperandNumber()
                                    << "), whose kernel does not read quantized weights; its users must be the "
                                       "weights of moe.linear, moe.mla_attention (kv_b), moe.grouped_gate_up or "
                                       "moe.grouped_down";
        return success();
      })
      .Case<moe::LayerOp, moe::DispatchOp, moe::ExpertFfnOp, moe::FfnOp>([&](Operation *o) {
        return o->emitOpError("must be lowered to grouped kernel ops before moe-plan-launches "
                              "(run moe-decompose-layer and moe-fuse-experts first)");
      })
      .Default([&](Operation *o) { return o->emitOpError("has no kernel: it cannot be part of a launch plan"); });
}

LogicalResult FunctionPlanner::run() {
  if (!func_.getBody().hasOneBlock()) return func_.emitError("must have a single block");
  if (failed(addArguments())) return failure();
  Block &body = func_.getBody().front();
  for (Operation &op : body.without_terminator())
    if (failed(plan(&op))) return failure();

  // Results: each returned tensor must be one an op produced here.
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto it = bufferIndex_.find(v);
    if (it == bufferIndex_.end() || buffers_[it->second].kind != BufferKind::transient)
      return ret.emitOpError() << "result " << i << " must be produced by a moe op of this function";
    Buffer &buf = buffers_[it->second];
    buf.kind = BufferKind::result;
    buf.index = i;
    buf.name = ret.getNumOperands() == 1 ? "out" : "out" + std::to_string(i);
  }

  b_.setInsertionPoint(func_);
  auto plan = moe::LaunchPlanOp::create(b_, func_.getLoc(), func_.getName(), dimNames_);
  b_.setInsertionPointToStart(&plan.getBody().front());
  for (const Buffer &buf : buffers_) {
    SmallVector<Attribute> shape(buf.shape.begin(), buf.shape.end());
    moe::PlanBufferOp::create(b_, func_.getLoc(), buf.kind, buf.index, buf.name, buf.elementType,
                              b_.getArrayAttr(shape));
  }
  for (const Dispatch &d : dispatches_)
    moe::PlanDispatchOp::create(b_, func_.getLoc(), d.kernel, d.bindings, d.workload);
  func_.erase();
  return success();
}

struct MoEPlanLaunchesPass : public compiler::impl::MoEPlanLaunchesBase<MoEPlanLaunchesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> funcs;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal() && !f->hasAttr(compiler::kWorkloadAttr)) funcs.push_back(f);
    for (func::FuncOp f : funcs) {
      FunctionPlanner planner(module, f);
      if (failed(planner.run())) return signalPassFailure();
    }
  }
};

} // namespace

SmallVector<int64_t> compiler::kernelAbiRecord(func::FuncOp kernel, int64_t workgroups, int64_t tile) {
  SmallVector<Type> types(kernel.getArgumentTypes());
  llvm::append_range(types, kernel.getResultTypes());
  auto shapes = kernel->getAttrOfType<ArrayAttr>(kBindingsAttr);
  SmallVector<int64_t> record = {HEXMOE_KERNEL_ABI_VERSION, workgroups, tile, static_cast<int64_t>(types.size())};
  for (auto [type, shapeAttr] : llvm::zip(types, shapes)) {
    auto shape = cast<ArrayAttr>(shapeAttr);
    record.push_back(elementTypeCode(cast<RankedTensorType>(type).getElementType()));
    record.push_back(static_cast<int64_t>(shape.size()));
    for (auto e : shape.getAsRange<ExtentAttr>())
      record.append({e.isStatic() ? e.getStaticSize() : 0, e.getDim(), e.getFactor()});
  }
  return record;
}
