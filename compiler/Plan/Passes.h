//===- Passes.h - target-independent launch planning --------------*- C++ -*-===//
#ifndef HEXMOE_COMPILER_PLAN_PASSES_H
#define HEXMOE_COMPILER_PLAN_PASSES_H

#include "dialects/moe/IR/MoEDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace hexmoe::compiler {

#define GEN_PASS_DECL
#include "compiler/Plan/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Plan/Passes.h.inc"

/// The attribute that marks a kernel function and holds its workload extent.
inline constexpr const char *kWorkloadAttr = "moe.workload";
/// On a kernel function: per binding, the array of #moe.extent it has.
inline constexpr const char *kBindingsAttr = "moe.bindings";
/// On a function argument: the checkpoint tensor it is ("model.norm.weight").
/// The plan makes it a weight buffer, which the runtime binds from the
/// checkpoint (or the artifact); callers never pass it.
inline constexpr const char *kWeightAttr = "moe.weight";
/// A weight made of several checkpoint pieces, concatenated:
/// "NAME;NAME@r0:r1;..." where NAME@r0:r1 is rows [r0, r1) of tensor NAME
/// seen as [elements / last dim, last dim] (experts stacked from per-expert
/// tensors, gate rows split out of a packed gate_up).
inline constexpr char kWeightSpecSeparator = ';';

/// The artifact's ElementType number of a tensor element type (f32 0, bf16 1,
/// i32 2, i64 3, f8E4M3FN 4, i8 5, f16 6; Compile.cpp checks they agree), as
/// kernel ABI records hold it.
inline int64_t elementTypeCode(mlir::Type t) {
  if (t.isBF16()) return 1;
  if (t.isInteger(32)) return 2;
  if (t.isInteger(64)) return 3;
  if (llvm::isa<mlir::Float8E4M3FNType>(t)) return 4;
  if (t.isInteger(8)) return 5;
  if (t.isF16()) return 6;
  return 0;
}

/// The kernel ABI record of runtime/schema/kernel_abi.h for a kernel
/// function of the plan (its types and moe.bindings) launched as
/// `workgroups` per `tile`.
llvm::SmallVector<int64_t> kernelAbiRecord(mlir::func::FuncOp kernel, int64_t workgroups, int64_t tile);

} // namespace hexmoe::compiler

#endif // HEXMOE_COMPILER_PLAN_PASSES_H
