//===- Passes.h - cpu target passes -------------------------------*- C++ -*-===//
#ifndef HEXMOE_TARGETS_CPU_PASSES_H
#define HEXMOE_TARGETS_CPU_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class ModuleOp;
namespace arith { class ArithDialect; }
namespace math { class MathDialect; }
namespace memref { class MemRefDialect; }
namespace scf { class SCFDialect; }
namespace vector { class VectorDialect; }
namespace LLVM { class LLVMDialect; }
namespace func { class FuncDialect; }
} // namespace mlir

namespace hexmoe::cpu {

#define GEN_PASS_DECL
#include "targets/cpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "targets/cpu/Passes.h.inc"

/// Adds the passes that lower outlined kernels to the LLVM dialect.
void buildCpuLowerToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers the cpu passes and the `moe-cpu-lower-to-llvm` pipeline.
void registerCpuTargetPasses();

} // namespace hexmoe::cpu

#endif // HEXMOE_TARGETS_CPU_PASSES_H
