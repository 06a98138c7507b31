//===- ConvertWeights.cpp - retype expert weight arguments ----------------===//
#include "dialects/moe/IR/MoEOps.h"
#include "dialects/moe/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace hexmoe::moe {
#define GEN_PASS_DEF_MOECONVERTWEIGHTS
#include "dialects/moe/Transforms/Passes.h.inc"
} // namespace hexmoe::moe

using namespace mlir;
using namespace hexmoe::moe;

namespace {

/// True when `use` is a gate, up or down operand of an expert op.
bool isExpertWeightUse(OpOperand &use) {
  Operation *op = use.getOwner();
  Value v = use.get();
  if (auto o = dyn_cast<LayerOp>(op))
    return v == o.getGate() || v == o.getUp() || v == o.getDown() || v == o.getSharedGate() ||
           v == o.getSharedUp() || v == o.getSharedDown();
  if (auto o = dyn_cast<ExpertFfnOp>(op))
    return v == o.getGate() || v == o.getUp() || v == o.getDown();
  if (auto o = dyn_cast<FfnOp>(op))
    return v == o.getGate() || v == o.getUp() || v == o.getDown();
  if (auto o = dyn_cast<GroupedGateUpOp>(op))
    return v == o.getGate() || v == o.getUp();
  if (auto o = dyn_cast<GroupedDownOp>(op))
    return v == o.getDown();
  return false;
}

struct MoEConvertWeightsPass
    : public hexmoe::moe::impl::MoEConvertWeightsBase<MoEConvertWeightsPass> {
  using MoEConvertWeightsBase::MoEConvertWeightsBase;

  void runOnOperation() override {
    Builder b(&getContext());
    Type target;
    if (elementType == "bf16")
      target = b.getBF16Type();
    else if (elementType == "f32")
      target = b.getF32Type();
    else {
      getOperation().emitError() << "moe-convert-weights: unsupported type '" << elementType
                                 << "' (expected bf16 or f32)";
      return signalPassFailure();
    }
    getOperation().walk([&](func::FuncOp func) {
      if (func.isExternal()) return;
      bool changed = false;
      for (BlockArgument arg : func.getArguments()) {
        auto type = dyn_cast<RankedTensorType>(arg.getType());
        if (!type || type.getElementType() == target || arg.use_empty()) continue;
        if (!llvm::all_of(arg.getUses(), isExpertWeightUse)) continue;
        arg.setType(type.clone(target));
        changed = true;
      }
      if (changed)
        func.setType(b.getFunctionType(func.getBody().getArgumentTypes(),
                                       func.getFunctionType().getResults()));
    });
  }
};

} // namespace
