//===- DecomposeLayer.cpp - moe.layer → router/dispatch/experts/combine ---===//
#include "dialects/moe/IR/MoEOps.h"
#include "dialects/moe/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace hexmoe::moe {
#define GEN_PASS_DEF_MOEDECOMPOSELAYER
#include "dialects/moe/Transforms/Passes.h.inc"
} // namespace hexmoe::moe

using namespace mlir;
using namespace hexmoe::moe;

namespace {

/// [T, K] with T taken from `hidden`.
RankedTensorType perToken(Value hidden, int64_t k, Type elementType) {
  return RankedTensorType::get({cast<RankedTensorType>(hidden.getType()).getDimSize(0), k},
                               elementType);
}

/// Replaces one moe.layer with its decomposition.
void decompose(RewriterBase &rewriter, LayerOp layer) {
  rewriter.setInsertionPoint(layer);
  Location loc = layer.getLoc();
  auto hiddenType = cast<RankedTensorType>(layer.getHidden().getType());
  int64_t t = hiddenType.getDimSize(0), h = hiddenType.getDimSize(1);
  int64_t e = cast<RankedTensorType>(layer.getRouterWeight().getType()).getDimSize(0);
  int64_t k = layer.getTopK();
  int64_t n = ShapedType::isDynamic(t) ? ShapedType::kDynamic : t * k;
  Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();

  auto router = RouterOp::create(
      rewriter, loc, perToken(layer.getHidden(), k, i32), perToken(layer.getHidden(), k, f32),
      layer.getHidden(), layer.getRouterWeight(), layer.getBias(), layer.getScoringAttr(),
      layer.getTopKAttr(), layer.getNGroupAttr(), layer.getTopkGroupAttr(),
      layer.getNormTopkProbAttr(), layer.getRoutedScalingFactorAttr());

  auto dispatch = DispatchOp::create(
      rewriter, loc, RankedTensorType::get({n, h}, f32), RankedTensorType::get({e + 1}, i32),
      RankedTensorType::get({n}, i32), layer.getHidden(), router.getIds(),
      rewriter.getI64IntegerAttr(e));

  auto experts = ExpertFfnOp::create(rewriter, loc, RankedTensorType::get({n, h}, f32),
                                     dispatch.getRows(), dispatch.getOffsets(), layer.getGate(),
                                     layer.getUp(), layer.getDown(), layer.getActivationAttr());

  Value shared;
  if (layer.getSharedGate()) {
    shared = FfnOp::create(rewriter, loc, hiddenType, layer.getHidden(), layer.getSharedGate(),
                           layer.getSharedUp(), layer.getSharedDown(),
                           layer.getActivationAttr());
  }

  auto combine = CombineOp::create(rewriter, loc, layer.getOut().getType(), experts.getOut(),
                                   dispatch.getInverse(), router.getWeights(), shared);
  rewriter.replaceOp(layer, combine.getOut());
}

struct MoEDecomposeLayerPass
    : public hexmoe::moe::impl::MoEDecomposeLayerBase<MoEDecomposeLayerPass> {
  void runOnOperation() override {
    SmallVector<LayerOp> layers;
    getOperation()->walk([&](LayerOp op) { layers.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (LayerOp layer : layers)
      decompose(rewriter, layer);
  }
};

} // namespace
