//===- Compile.h - moe MLIR → hexmoe artifact ---------------------*- C++ -*-===//
#ifndef HEXMOE_COMPILER_DRIVER_COMPILE_H
#define HEXMOE_COMPILER_DRIVER_COMPILE_H

#include "compiler/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hexmoe::compiler {

/// What the artifact's weights came to, for the tools' summaries.
struct CompileStats {
  size_t referencedWeights = 0, embeddedWeights = 0;
  uint64_t referencedBytes = 0, embeddedBytes = 0;
};

struct CompileOptions {
  /// Comma-separated targets with optional variants: "cpu", "cpu:x86-64-v3",
  /// "cpu:native", "opencl", "cpu,opencl".
  std::string target = "cpu";
  /// When set, every executable's code is also written to this directory as
  /// <format><ext> (.so for CPU shared objects, .cl for OpenCL C).
  std::string dumpKernelsDir;
  /// The checkpoint directory (safetensors) that `moe.weight` arguments
  /// name tensors of. The artifact refers to each tensor there by file,
  /// offset, length and SHA-256, or carries it with embedWeights.
  std::string weightsDir;
  /// Copies the weights into the artifact (converting a checkpoint dtype to
  /// the function's, e.g. bf16 to f32), so it runs without the checkpoint.
  bool embedWeights = false;
  /// Weights the compiler made (RoPE tables), by the name a `moe.weight`
  /// argument gives them ("hexmoe.rope.0"): their bytes, embedded as they
  /// are in the argument's type.
  std::map<std::string, std::vector<uint8_t>> generatedWeights;
  MoEPipelineOptions pipeline;
  /// Recorded in the artifact.
  std::string source;
  /// When set, filled in by compileModule.
  CompileStats *stats = nullptr;
};

/// Loads the dialects the driver needs into `context`. Targets register
/// themselves separately (hexmoe::registerAllTargets(), targets/InitAllTargets.h).
void prepareContext(mlir::MLIRContext &context);

/// Runs the moe pipeline and the target on `module` and returns the artifact
/// file bytes (container header + FlatBuffer). Errors go to the context's
/// diagnostic handler.
mlir::FailureOr<std::vector<uint8_t>> compileModule(mlir::ModuleOp module,
                                                    const CompileOptions &options);

} // namespace hexmoe::compiler

#endif // HEXMOE_COMPILER_DRIVER_COMPILE_H
