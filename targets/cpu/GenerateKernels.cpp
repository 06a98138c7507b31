//===- GenerateKernels.cpp - kernel functions → CPU kernels ---------------===//
//
// moe-plan-launches leaves one kernel function per op, holding that op and
// marked with the workload it covers. This pass replaces each by a function
// of the CPU kernel ABI (runtime/schema/kernel_abi.h) of the same name,
// generated for the op, with its binding count and launch shape:
//
//   moe.num_bindings  the op's operands plus its results
//   moe.workgroups    workgroups per workload tile (or in all, untiled)
//   moe.tile          workload elements per tile; 0 when not tiled
//   moe.abi           the kernel's ABI record (kernel_abi.h), which the
//                     cpu target exports beside the kernel
//
// so a dispatch over workload W runs workgroups * ceil(W / tile) workgroups.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/Kernels.h"
#include "targets/cpu/Passes.h"

#include "compiler/Plan/Passes.h"
#include "dialects/moe/IR/MoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/ADT/TypeSwitch.h"

namespace hexmoe::cpu {
#define GEN_PASS_DEF_MOECPUGENERATEKERNELS
#include "targets/cpu/Passes.h.inc"
} // namespace hexmoe::cpu

using namespace mlir;
using namespace hexmoe;
using namespace hexmoe::cpu;

namespace {

int64_t staticDim(Value v, unsigned i) { return cast<RankedTensorType>(v.getType()).getDimSize(i); }
Type elementTypeOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

/// How the kernel reads weight operand `v`: stored as its type, or in the
/// block-scaled format of the moe.dequant that makes it.
WeightFormat formatOf(Value v) {
  if (auto dq = v.getDefiningOp<moe::DequantOp>())
    return {elementTypeOf(dq.getQuantized()), dq.getBlock()[0], dq.getBlock()[1]};
  return {elementTypeOf(v)};
}

KernelDim kernelDim(moe::ExtentAttr e) {
  if (e.isStatic()) return {e.getStaticSize(), -1, 1};
  return {-1, static_cast<int>(e.getDim()), e.getFactor()};
}

/// The token count of an attention workload of T * heads (one workgroup per
/// token and head): what its bindings are sized in.
KernelDim perHead(KernelDim workload, int64_t heads) {
  if (workload.staticSize >= 0)
    workload.staticSize /= heads;
  else
    workload.factor /= heads;
  return workload;
}

/// Emits the CPU kernel for `op` as `name`, covering `workload`, with
/// `numBindings` bindings (its operands, a block-scaled weight's scales
/// after it, then its results).
FailureOr<Launch> emitKernel(ModuleOp module, Operation *op, StringRef name, KernelDim t, int numBindings,
                             const KernelConfig &config) {
  KernelBuilder kb(module, op->getLoc(), name, numBindings, config);
  return llvm::TypeSwitch<Operation *, FailureOr<Launch>>(op)
      .Case<moe::RouterOp>([&](moe::RouterOp r) -> FailureOr<Launch> {
        RouterSpec spec{staticDim(r.getHidden(), 1), staticDim(r.getWeight(), 0), static_cast<int64_t>(r.getTopK()),
                        static_cast<int64_t>(r.getNGroup()), static_cast<int64_t>(r.getTopkGroup()),
                        r.getScoring() == moe::Scoring::sigmoid, r.getNormTopkProb(),
                        static_cast<bool>(r.getBias()), r.getRoutedScalingFactor().convertToDouble(),
                        elementTypeOf(r.getWeight()), t};
        return emitRouter(kb, spec);
      })
      .Case<moe::SortByExpertOp>([&](moe::SortByExpertOp s) -> FailureOr<Launch> {
        return emitSortByExpert(kb, SortSpec{static_cast<int64_t>(s.getNumExperts()), staticDim(s.getIds(), 1), t});
      })
      .Case<moe::GroupedGateUpOp>([&](moe::GroupedGateUpOp g) -> FailureOr<Launch> {
        bool grouped = static_cast<bool>(g.getOffsets());
        int64_t rank = grouped ? 3 : 2;
        GateUpSpec spec{staticDim(g.getHidden(), 1), staticDim(g.getGate(), rank - 2),
                        grouped ? staticDim(g.getGate(), 0) : 1, static_cast<int64_t>(g.getTopK()), grouped,
                        g.getActivation() == moe::Activation::gelu, formatOf(g.getGate()), formatOf(g.getUp()), t};
        return emitGateUp(kb, spec);
      })
      .Case<moe::GroupedDownOp>([&](moe::GroupedDownOp d) -> FailureOr<Launch> {
        bool grouped = static_cast<bool>(d.getOffsets());
        int64_t rank = grouped ? 3 : 2;
        DownSpec spec{staticDim(d.getDown(), rank - 2), staticDim(d.getAct(), 1),
                      grouped ? staticDim(d.getDown(), 0) : 1, grouped, formatOf(d.getDown()), t};
        return emitDown(kb, spec);
      })
      .Case<moe::LinearOp>([&](moe::LinearOp l) -> FailureOr<Launch> {
        DownSpec spec{staticDim(l.getWeight(), 0), staticDim(l.getWeight(), 1), 1, false,
                      formatOf(l.getWeight()), t, static_cast<bool>(l.getBias()),
                      l.getBias() ? elementTypeOf(l.getBias()) : Type()};
        return emitDown(kb, spec);
      })
      .Case<moe::EmbeddingOp>([&](moe::EmbeddingOp e) -> FailureOr<Launch> {
        return emitEmbedding(kb, EmbeddingSpec{staticDim(e.getTable(), 0), staticDim(e.getTable(), 1),
                                               elementTypeOf(e.getTable()), t});
      })
      .Case<moe::RmsNormOp>([&](moe::RmsNormOp n) -> FailureOr<Launch> {
        return emitRmsNorm(kb, RmsNormSpec{staticDim(n.getInput(), 1), staticDim(n.getWeight(), 0),
                                           n.getEpsilon().convertToDouble(), elementTypeOf(n.getWeight()), t});
      })
      .Case<moe::AddOp>([&](moe::AddOp a) -> FailureOr<Launch> {
        return emitAdd(kb, AddSpec{staticDim(a.getLhs(), 1), t});
      })
      .Case<moe::SigmoidGateOp>([&](moe::SigmoidGateOp g) -> FailureOr<Launch> {
        return emitSigmoidGate(kb, AddSpec{staticDim(g.getInput(), 1), t});
      })
      .Case<moe::RopeOp>([&](moe::RopeOp r) -> FailureOr<Launch> {
        return emitRope(kb, RopeSpec{staticDim(r.getInput(), 1), static_cast<int64_t>(r.getHeadDim()),
                                     static_cast<int64_t>(r.getRopeDim()), staticDim(r.getTable(), 0),
                                     r.getInterleaved(), t});
      })
      .Case<moe::KvWriteOp>([&](moe::KvWriteOp w) -> FailureOr<Launch> {
        return emitKvWrite(kb, KvWriteSpec{staticDim(w.getCache(), 0), staticDim(w.getCache(), 1), t});
      })
      .Case<moe::AttentionOp>([&](moe::AttentionOp a) -> FailureOr<Launch> {
        const int64_t heads = a.getNumHeads();
        KernelDim tokens = perHead(t, heads);
        AttentionSpec spec{heads, static_cast<int64_t>(a.getNumKvHeads()), static_cast<int64_t>(a.getHeadDim()),
                           static_cast<int64_t>(a.getVHeadDim()), staticDim(a.getKCache(), 0),
                           static_cast<int64_t>(a.getSlidingWindow()), a.getScale().convertToDouble(), tokens};
        return emitAttention(kb, spec);
      })
      .Case<moe::MlaAttentionOp>([&](moe::MlaAttentionOp a) -> FailureOr<Launch> {
        const int64_t heads = a.getNumHeads();
        KernelDim tokens = perHead(t, heads);
        MlaAttentionSpec spec{heads, static_cast<int64_t>(a.getNopeDim()), staticDim(a.getRopeCache(), 1),
                              static_cast<int64_t>(a.getVDim()), staticDim(a.getLatentCache(), 1),
                              staticDim(a.getLatentCache(), 0), a.getScale().convertToDouble(),
                              formatOf(a.getKvB()), tokens};
        return emitMlaAttention(kb, spec);
      })
      .Case<moe::CombineOp>([&](moe::CombineOp c) -> FailureOr<Launch> {
        CombineSpec spec{staticDim(c.getExpertOut(), 1), staticDim(c.getWeights(), 1),
                         static_cast<bool>(c.getShared()), t};
        return emitCombine(kb, spec);
      })
      .Default([&](Operation *o) -> FailureOr<Launch> {
        kb.func().erase();
        return o->emitOpError("is not supported by the cpu target");
      });
}

struct MoECpuGenerateKernelsPass
    : public hexmoe::cpu::impl::MoECpuGenerateKernelsBase<MoECpuGenerateKernelsPass> {
  using MoECpuGenerateKernelsBase::MoECpuGenerateKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (vectorWidth != 4 && vectorWidth != 8 && vectorWidth != 16) {
      module.emitError() << "vector-width must be 4, 8 or 16, got " << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    KernelConfig config;
    config.vectorWidth = vectorWidth;
    SmallVector<func::FuncOp> kernels;
    for (auto f : module.getOps<func::FuncOp>())
      if (f->hasAttr(compiler::kWorkloadAttr)) kernels.push_back(f);
    for (func::FuncOp f : kernels) {
      auto workload = f->getAttrOfType<moe::ExtentAttr>(compiler::kWorkloadAttr);
      Block &body = f.getBody().front();
      // One moe op and its return, after the moe.dequant ops of its weights.
      Operation *op = body.getTerminator()->getPrevNode();
      bool wellFormed = workload && op && !isa<moe::DequantOp>(op);
      for (Operation &o : body.without_terminator())
        wellFormed &= &o == op || isa<moe::DequantOp>(o);
      if (!wellFormed) {
        f.emitError("a kernel function holds one moe op (after the moe.dequant ops of its weights) and its "
                    "return, with a #moe.extent workload");
        return signalPassFailure();
      }
      const std::string name = f.getName().str();
      f.setName(name + ".tensors");  // the generated kernel takes the name
      const int numBindings = f.getNumArguments() + f.getNumResults();
      FailureOr<Launch> launch = emitKernel(module, op, name, kernelDim(workload), numBindings, config);
      if (failed(launch)) return signalPassFailure();
      auto kernel = cast<func::FuncOp>(SymbolTable::lookupSymbolIn(module, name));
      Builder b(module.getContext());
      const int64_t tile = launch->perTokenTile ? launch->tile : 0;
      kernel->setAttr("moe.workgroups", b.getI64IntegerAttr(launch->workgroups));
      kernel->setAttr("moe.tile", b.getI64IntegerAttr(tile));
      kernel->setAttr("moe.abi", b.getDenseI64ArrayAttr(compiler::kernelAbiRecord(f, launch->workgroups, tile)));
      f.erase();
    }
  }
};

} // namespace
