//===- Pipelines.cpp - the target-independent moe pipeline ----------------===//
#include "compiler/Pipelines/Pipelines.h"

#include "dialects/moe/Transforms/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace hexmoe::compiler {

void buildMoEPipeline(mlir::OpPassManager &pm, const MoEPipelineOptions &options) {
  pm.addPass(moe::createMoEDecomposeLayer());
  pm.addPass(moe::createMoEFuseExperts());
  if (options.weightType != "f32") {
    moe::MoEConvertWeightsOptions convert;
    convert.elementType = options.weightType;
    pm.addPass(moe::createMoEConvertWeights(convert));
  }
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}

} // namespace hexmoe::compiler
