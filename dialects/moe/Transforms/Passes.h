//===- Passes.h - moe dialect passes ------------------------------*- C++ -*-===//
#ifndef HEXMOE_DIALECTS_MOE_TRANSFORMS_PASSES_H
#define HEXMOE_DIALECTS_MOE_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::tensor {
class TensorDialect;
}

namespace hexmoe::moe {

#define GEN_PASS_DECL
#include "dialects/moe/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/moe/Transforms/Passes.h.inc"

} // namespace hexmoe::moe

#endif // HEXMOE_DIALECTS_MOE_TRANSFORMS_PASSES_H
