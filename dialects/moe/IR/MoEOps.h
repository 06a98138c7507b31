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

#define GET_ATTRDEF_CLASSES
#include "dialects/moe/IR/MoEAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/moe/IR/MoEOps.h.inc"

#endif // HEXMOE_DIALECTS_MOE_IR_MOEOPS_H
