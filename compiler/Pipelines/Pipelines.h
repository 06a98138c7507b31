//===- Pipelines.h - the target-independent moe pipeline ----------*- C++ -*-===//
#ifndef HEXMOE_COMPILER_PIPELINES_PIPELINES_H
#define HEXMOE_COMPILER_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace hexmoe::compiler {

struct MoEPipelineOptions {
  /// Expert weight element type of the compiled functions: "f32" or "bf16".
  std::string weightType = "f32";
};

/// import → verify → decompose moe.layer → fuse dispatch/gate/up/activation →
/// (retype weights) → canonicalize.
void buildMoEPipeline(mlir::OpPassManager &pm, const MoEPipelineOptions &options);

} // namespace hexmoe::compiler

#endif // HEXMOE_COMPILER_PIPELINES_PIPELINES_H
