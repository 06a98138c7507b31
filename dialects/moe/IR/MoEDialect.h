//===- MoEDialect.h - moe dialect ---------------------------------*- C++ -*-===//
#ifndef HEXMOE_DIALECTS_MOE_IR_MOEDIALECT_H
#define HEXMOE_DIALECTS_MOE_IR_MOEDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/moe/IR/MoEDialect.h.inc"

#endif // HEXMOE_DIALECTS_MOE_IR_MOEDIALECT_H
