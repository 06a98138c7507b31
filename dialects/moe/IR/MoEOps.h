//===- MoEOps.h - moe dialect operations --------------------------*- C++ -*-===//
#ifndef HEXMOE_DIALECTS_MOE_IR_MOEOPS_H
#define HEXMOE_DIALECTS_MOE_IR_MOEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/moe/IR/MoEDialect.h"
#include "dialects/moe/IR/MoEEnums.h.inc"

namespace hexmoe::moe {
/// Whether every static size of a ranked tensor type is in [1, 2^31) and a
/// fully static one has at most 2^40 elements (the sizes MoEBase.td allows).
bool hasSaneSizes(mlir::Type type);
} // namespace hexmoe::moe

#define GET_ATTRDEF_CLASSES
#include "dialects/moe/IR/MoEAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/moe/IR/MoEOps.h.inc"

#endif // HEXMOE_DIALECTS_MOE_IR_MOEOPS_H
