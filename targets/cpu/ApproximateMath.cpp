//===- ApproximateMath.cpp - vectorisable exp and erf ---------------------===//
#include "targets/cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace hexmoe::cpu {
#define GEN_PASS_DEF_MOECPUAPPROXIMATEMATH
#include "targets/cpu/Passes.h.inc"
} // namespace hexmoe::cpu

using namespace mlir;

namespace {

struct MoECpuApproximateMathPass
    : public hexmoe::cpu::impl::MoECpuApproximateMathBase<MoECpuApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) { return name == "math.exp" || name == "math.erf"; });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
