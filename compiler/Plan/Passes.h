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

} // namespace hexmoe::compiler

#endif // HEXMOE_COMPILER_PLAN_PASSES_H
