//===- FuseExperts.cpp - dispatch + expert FFN → grouped kernel ops -------===//
//
// The permuted copy of the activations that moe.dispatch describes is never
// materialised: moe.grouped_gate_up reads each token row straight from
// `hidden` through the sorted copy indices. This is the grouped-GEMM form
// (ragged row groups with offsets), not a scatter/gather over the full tensor.
//
//===----------------------------------------------------------------------===//
#include "dialects/moe/IR/MoEOps.h"
#include "dialects/moe/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace hexmoe::moe {
#define GEN_PASS_DEF_MOEFUSEEXPERTS
#include "dialects/moe/Transforms/Passes.h.inc"
} // namespace hexmoe::moe

using namespace mlir;
using namespace hexmoe::moe;

namespace {

/// [rows, I] f32 intermediate activations of a gate/up projection.
RankedTensorType actType(Value rowsLike, Value gate) {
  auto g = cast<RankedTensorType>(gate.getType());
  return RankedTensorType::get(
      {cast<RankedTensorType>(rowsLike.getType()).getDimSize(0), g.getDimSize(g.getRank() - 2)},
      Float32Type::get(gate.getContext()));
}

/// Rewrites one moe.dispatch whose rows feed only moe.expert_ffn ops.
LogicalResult fuseDispatch(RewriterBase &rewriter, DispatchOp dispatch) {
  SmallVector<ExpertFfnOp> users;
  for (Operation *user : dispatch.getRows().getUsers()) {
    auto ffn = dyn_cast<ExpertFfnOp>(user);
    if (!ffn || ffn.getRows() != dispatch.getRows()) return failure();
    users.push_back(ffn);
  }
  rewriter.setInsertionPoint(dispatch);
  auto ids = cast<RankedTensorType>(dispatch.getIds().getType());
  int64_t k = ids.getDimSize(1);
  auto sorted = SortByExpertOp::create(
      rewriter, dispatch.getLoc(), dispatch.getOffsets().getType(),
      dispatch.getInverse().getType(), dispatch.getInverse().getType(), dispatch.getIds(),
      dispatch.getNumExpertsAttr());
  for (ExpertFfnOp ffn : users) {
    rewriter.setInsertionPoint(ffn);
    auto gateUp = GroupedGateUpOp::create(
        rewriter, ffn.getLoc(), actType(ffn.getRows(), ffn.getGate()), dispatch.getHidden(),
        ffn.getGate(), ffn.getUp(), sorted.getCopies(), ffn.getOffsets(),
        rewriter.getI64IntegerAttr(k), ffn.getActivationAttr());
    auto down = GroupedDownOp::create(rewriter, ffn.getLoc(), ffn.getOut().getType(),
                                      gateUp.getOut(), ffn.getDown(), ffn.getOffsets());
    rewriter.replaceOp(ffn, down.getOut());
  }
  rewriter.replaceAllUsesWith(dispatch.getOffsets(), sorted.getOffsets());
  rewriter.replaceAllUsesWith(dispatch.getInverse(), sorted.getInverse());
  rewriter.eraseOp(dispatch);
  return success();
}

/// moe.ffn → dense grouped_gate_up + grouped_down.
void lowerDenseFfn(RewriterBase &rewriter, FfnOp ffn) {
  rewriter.setInsertionPoint(ffn);
  auto gateUp = GroupedGateUpOp::create(
      rewriter, ffn.getLoc(), actType(ffn.getInput(), ffn.getGate()), ffn.getInput(),
      ffn.getGate(), ffn.getUp(), Value(), Value(), rewriter.getI64IntegerAttr(1),
      ffn.getActivationAttr());
  auto down = GroupedDownOp::create(rewriter, ffn.getLoc(), ffn.getOut().getType(),
                                    gateUp.getOut(), ffn.getDown(), Value());
  rewriter.replaceOp(ffn, down.getOut());
}

struct MoEFuseExpertsPass : public hexmoe::moe::impl::MoEFuseExpertsBase<MoEFuseExpertsPass> {
  void runOnOperation() override {
    SmallVector<DispatchOp> dispatches;
    SmallVector<FfnOp> ffns;
    getOperation()->walk([&](Operation *op) {
      if (auto d = dyn_cast<DispatchOp>(op)) dispatches.push_back(d);
      if (auto f = dyn_cast<FfnOp>(op)) ffns.push_back(f);
    });
    IRRewriter rewriter(&getContext());
    for (DispatchOp dispatch : dispatches) {
      if (failed(fuseDispatch(rewriter, dispatch)))
        dispatch.emitRemark("not fused: its rows have users other than moe.expert_ffn");
    }
    for (FfnOp ffn : ffns)
      lowerDenseFfn(rewriter, ffn);
  }
};

} // namespace
