//===- OutlineKernels.cpp - grouped moe ops → CPU kernels + launch plan ---===//
//
// This is where tensors become buffers: every tensor value of a function gets
// one buffer whose extents are static or a multiple of the token count T, and
// every op becomes one kernel launch that reads and writes those buffers.
// The plan is recorded in the module attribute `moe.functions`:
//
//   {name, dims = ["T"], buffers = [{name, kind, index, type, shape}],
//    dispatches = [{kernel, bindings, workgroups, workgroup_dim, workgroup_tile}]}
//
// where shape entries read "256", "T" or "T*8".
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/Kernels.h"
#include "targets/cpu/Passes.h"

#include "dialects/moe/IR/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

namespace hexmoe::cpu {
#define GEN_PASS_DEF_MOECPUOUTLINEKERNELS
#include "targets/cpu/Passes.h.inc"
} // namespace hexmoe::cpu

using namespace mlir;
using namespace hexmoe;
using namespace hexmoe::cpu;

namespace {

/// One extent: static, or dims[dim] * factor.
using Extent = KernelDim;

struct Buffer {
  std::string name;
  StringRef kind;
  int64_t index = 0;
  Type elementType;
  SmallVector<Extent> shape;
};

struct Dispatch {
  std::string kernel;
  SmallVector<int32_t> bindings;
  Launch launch;
  Extent tokens;
};

std::string extentString(const Extent &e, ArrayRef<std::string> dimNames) {
  if (e.dim < 0) return std::to_string(e.staticSize);
  std::string s = dimNames[e.dim];
  return e.factor == 1 ? s : s + "*" + std::to_string(e.factor);
}

Extent scaled(Extent e, int64_t k) {
  if (e.dim < 0) e.staticSize *= k;
  else e.factor *= k;
  return e;
}

int64_t staticDim(Value v, unsigned i) { return cast<RankedTensorType>(v.getType()).getDimSize(i); }
Type elementTypeOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

/// Builds the plan and kernels of one function.
class FunctionOutliner {
public:
  FunctionOutliner(ModuleOp module, func::FuncOp func, const KernelConfig &config)
      : module_(module), func_(func), config_(config) {}

  LogicalResult run(DictionaryAttr &plan);

private:
  LogicalResult addArguments();
  LogicalResult outline(Operation *op);
  int32_t bufferOf(Value v) { return bufferIndex_.lookup(v); }
  void addTransient(Value v, StringRef name, SmallVector<Extent> shape);
  void dispatch(Operation *op, StringRef kind, ArrayRef<Value> bindings, Extent tokens,
                const std::function<Launch(KernelBuilder &)> &emit, int numBindings);
  Extent rowsOf(Value v) { return buffers_[bufferOf(v)].shape[0]; }

  ModuleOp module_;
  func::FuncOp func_;
  KernelConfig config_;
  SmallVector<std::string> dimNames_;
  SmallVector<Buffer> buffers_;
  SmallVector<Dispatch> dispatches_;
  llvm::DenseMap<Value, int32_t> bufferIndex_;
};

LogicalResult FunctionOutliner::addArguments() {
  for (BlockArgument arg : func_.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type)
      return func_.emitError() << "argument " << arg.getArgNumber()
                               << " must be a ranked tensor, got " << arg.getType();
    Buffer buf;
    auto nameAttr = func_.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "moe.name");
    buf.name = nameAttr ? nameAttr.str() : "arg" + std::to_string(arg.getArgNumber());
    buf.kind = "argument";
    buf.index = arg.getArgNumber();
    buf.elementType = type.getElementType();
    for (int64_t d : type.getShape()) {
      if (!ShapedType::isDynamic(d)) {
        buf.shape.push_back({d, -1, 1});
        continue;
      }
      // Every dynamic extent of an MoE layer is the token count.
      if (dimNames_.empty()) dimNames_.push_back("T");
      buf.shape.push_back({-1, 0, 1});
    }
    bufferIndex_[arg] = buffers_.size();
    buffers_.push_back(std::move(buf));
  }
  return success();
}

void FunctionOutliner::addTransient(Value v, StringRef name, SmallVector<Extent> shape) {
  Buffer buf;
  buf.name = name.str();
  buf.kind = "transient";
  buf.elementType = elementTypeOf(v);
  buf.shape = std::move(shape);
  bufferIndex_[v] = buffers_.size();
  buffers_.push_back(std::move(buf));
}

void FunctionOutliner::dispatch(Operation *op, StringRef kind, ArrayRef<Value> bindings,
                                Extent tokens,
                                const std::function<Launch(KernelBuilder &)> &emit,
                                int numBindings) {
  Dispatch d;
  d.kernel = (func_.getName() + "_" + Twine(dispatches_.size()) + "_" + kind).str();
  for (Value v : bindings) d.bindings.push_back(bufferOf(v));
  KernelBuilder kb(module_, op->getLoc(), d.kernel, numBindings, config_);
  d.launch = emit(kb);
  d.tokens = tokens;
  dispatches_.push_back(std::move(d));
}

LogicalResult FunctionOutliner::outline(Operation *op) {
  auto name = [&](StringRef what) {
    return (op->getName().stripDialect() + "." + what + "." + Twine(dispatches_.size())).str();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<moe::RouterOp>([&](moe::RouterOp r) {
        Extent t = rowsOf(r.getHidden());
        int64_t k = r.getTopK();
        addTransient(r.getIds(), name("ids"), {t, {k, -1, 1}});
        addTransient(r.getWeights(), name("weights"), {t, {k, -1, 1}});
        RouterSpec spec{staticDim(r.getHidden(), 1), staticDim(r.getWeight(), 0), k,
                        static_cast<int64_t>(r.getNGroup()),
                        static_cast<int64_t>(r.getTopkGroup()),
                        r.getScoring() == moe::Scoring::sigmoid, r.getNormTopkProb(),
                        static_cast<bool>(r.getBias()),
                        r.getRoutedScalingFactor().convertToDouble(),
                        elementTypeOf(r.getWeight()), t};
        SmallVector<Value> b{r.getHidden(), r.getWeight()};
        if (r.getBias()) b.push_back(r.getBias());
        b.append({r.getIds(), r.getWeights()});
        dispatch(op, "router", b, t, [&](KernelBuilder &kb) { return emitRouter(kb, spec); },
                 b.size());
        return success();
      })
      .Case<moe::SortByExpertOp>([&](moe::SortByExpertOp s) {
        Extent t = rowsOf(s.getIds());
        int64_t k = staticDim(s.getIds(), 1), e = s.getNumExperts();
        addTransient(s.getOffsets(), name("offsets"), {{e + 1, -1, 1}});
        addTransient(s.getCopies(), name("copies"), {scaled(t, k)});
        addTransient(s.getInverse(), name("inverse"), {scaled(t, k)});
        SortSpec spec{e, k, t};
        dispatch(op, "sort_by_expert", {s.getIds(), s.getOffsets(), s.getCopies(), s.getInverse()},
                 t, [&](KernelBuilder &kb) { return emitSortByExpert(kb, spec); }, 4);
        return success();
      })
      .Case<moe::GroupedGateUpOp>([&](moe::GroupedGateUpOp g) {
        Extent t = rowsOf(g.getHidden());
        bool grouped = static_cast<bool>(g.getOffsets());
        int64_t rank = grouped ? 3 : 2, k = g.getTopK();
        int64_t inter = staticDim(g.getGate(), rank - 2);
        addTransient(g.getOut(), name("act"), {grouped ? scaled(t, k) : t, {inter, -1, 1}});
        GateUpSpec spec{staticDim(g.getHidden(), 1), inter,
                        grouped ? staticDim(g.getGate(), 0) : 1, k, grouped,
                        g.getActivation() == moe::Activation::gelu,
                        elementTypeOf(g.getGate()), t};
        SmallVector<Value> b{g.getHidden(), g.getGate(), g.getUp()};
        if (grouped) b.append({g.getCopies(), g.getOffsets()});
        b.push_back(g.getOut());
        dispatch(op, grouped ? "expert_gate_up" : "dense_gate_up", b, t,
                 [&](KernelBuilder &kb) { return emitGateUp(kb, spec); }, b.size());
        return success();
      })
      .Case<moe::GroupedDownOp>([&](moe::GroupedDownOp d) {
        Extent rows = rowsOf(d.getAct());
        bool grouped = static_cast<bool>(d.getOffsets());
        int64_t rank = grouped ? 3 : 2;
        int64_t h = staticDim(d.getDown(), rank - 2);
        addTransient(d.getOut(), name("out"), {rows, {h, -1, 1}});
        DownSpec spec{h, staticDim(d.getAct(), 1), grouped ? staticDim(d.getDown(), 0) : 1,
                      grouped, elementTypeOf(d.getDown()), rows};
        SmallVector<Value> b{d.getAct(), d.getDown()};
        if (grouped) b.push_back(d.getOffsets());
        b.push_back(d.getOut());
        dispatch(op, grouped ? "expert_down" : "dense_down", b, rows,
                 [&](KernelBuilder &kb) { return emitDown(kb, spec); }, b.size());
        return success();
      })
      .Case<moe::CombineOp>([&](moe::CombineOp c) {
        Extent t = rowsOf(c.getWeights());
        int64_t h = staticDim(c.getExpertOut(), 1);
        addTransient(c.getOut(), name("out"), {t, {h, -1, 1}});
        CombineSpec spec{h, staticDim(c.getWeights(), 1), static_cast<bool>(c.getShared()), t};
        SmallVector<Value> b{c.getExpertOut(), c.getInverse(), c.getWeights()};
        if (c.getShared()) b.push_back(c.getShared());
        b.push_back(c.getOut());
        dispatch(op, "combine", b, t, [&](KernelBuilder &kb) { return emitCombine(kb, spec); },
                 b.size());
        return success();
      })
      .Case<moe::LayerOp, moe::DispatchOp, moe::ExpertFfnOp, moe::FfnOp>([&](Operation *o) {
        return o->emitOpError("must be lowered to grouped kernel ops before "
                              "moe-cpu-outline-kernels (run moe-decompose-layer and "
                              "moe-fuse-experts first)");
      })
      .Default([&](Operation *o) {
        return o->emitOpError("is not supported by the cpu target");
      });
}

LogicalResult FunctionOutliner::run(DictionaryAttr &plan) {
  if (failed(addArguments())) return failure();
  Block &body = func_.getBody().front();
  for (Operation &op : body.without_terminator())
    if (failed(outline(&op))) return failure();

  // Results: turn each returned transient into a result buffer.
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto it = bufferIndex_.find(v);
    if (it == bufferIndex_.end() || buffers_[it->second].kind != "transient")
      return ret.emitOpError() << "result " << i
                               << " must be produced by a moe op of this function";
    Buffer &buf = buffers_[it->second];
    buf.kind = "result";
    buf.index = i;
    buf.name = ret.getNumOperands() == 1 ? "out" : "out" + std::to_string(i);
  }

  // Launch sizes: a static token count folds into the workgroup count.
  Builder b(func_.getContext());
  SmallVector<Attribute> bufferAttrs, dispatchAttrs;
  for (const Buffer &buf : buffers_) {
    SmallVector<Attribute> shape;
    for (const Extent &e : buf.shape) shape.push_back(b.getStringAttr(extentString(e, dimNames_)));
    bufferAttrs.push_back(b.getDictionaryAttr({
        b.getNamedAttr("name", b.getStringAttr(buf.name)),
        b.getNamedAttr("kind", b.getStringAttr(buf.kind)),
        b.getNamedAttr("index", b.getI64IntegerAttr(buf.index)),
        b.getNamedAttr("type", TypeAttr::get(buf.elementType)),
        b.getNamedAttr("shape", b.getArrayAttr(shape)),
    }));
  }
  for (const Dispatch &d : dispatches_) {
    int64_t workgroups = d.launch.workgroups, dim = -1, tile = 1;
    if (d.launch.perTokenTile) {
      if (d.tokens.dim < 0) {
        workgroups *= (d.tokens.staticSize * d.tokens.factor + d.launch.tile - 1) / d.launch.tile;
      } else {
        if (d.tokens.factor != 1)
          return func_.emitError() << "kernel " << d.kernel
                                   << " tiles a scaled token extent, which launches cannot express";
        dim = d.tokens.dim;
        tile = d.launch.tile;
      }
    }
    dispatchAttrs.push_back(b.getDictionaryAttr({
        b.getNamedAttr("kernel", b.getStringAttr(d.kernel)),
        b.getNamedAttr("bindings", b.getDenseI32ArrayAttr(d.bindings)),
        b.getNamedAttr("workgroups", b.getI64IntegerAttr(workgroups)),
        b.getNamedAttr("workgroup_dim", b.getI64IntegerAttr(dim)),
        b.getNamedAttr("workgroup_tile", b.getI64IntegerAttr(tile)),
    }));
  }
  SmallVector<Attribute> dims;
  for (const std::string &n : dimNames_) dims.push_back(b.getStringAttr(n));
  plan = b.getDictionaryAttr({
      b.getNamedAttr("name", b.getStringAttr(func_.getName())),
      b.getNamedAttr("dims", b.getArrayAttr(dims)),
      b.getNamedAttr("buffers", b.getArrayAttr(bufferAttrs)),
      b.getNamedAttr("dispatches", b.getArrayAttr(dispatchAttrs)),
  });
  return success();
}

struct MoECpuOutlineKernelsPass
    : public hexmoe::cpu::impl::MoECpuOutlineKernelsBase<MoECpuOutlineKernelsPass> {
  using MoECpuOutlineKernelsBase::MoECpuOutlineKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (vectorWidth != 4 && vectorWidth != 8 && vectorWidth != 16) {
      module.emitError() << "vector-width must be 4, 8 or 16, got " << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    KernelConfig config;
    config.vectorWidth = vectorWidth;
    SmallVector<func::FuncOp> funcs;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal() && !f->hasAttr("moe.kernel")) funcs.push_back(f);
    SmallVector<Attribute> plans;
    if (auto existing = module->getAttrOfType<ArrayAttr>("moe.functions"))
      plans.append(existing.begin(), existing.end());
    for (func::FuncOp f : funcs) {
      if (!f.getBody().hasOneBlock()) {
        f.emitError("must have a single block");
        return signalPassFailure();
      }
      DictionaryAttr plan;
      FunctionOutliner outliner(module, f, config);
      if (failed(outliner.run(plan))) return signalPassFailure();
      plans.push_back(plan);
      f.erase();
    }
    module->setAttr("moe.functions", ArrayAttr::get(&getContext(), plans));
  }
};

} // namespace
