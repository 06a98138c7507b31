//===- MoEDialect.cpp - moe dialect registration --------------------------===//
#include "dialects/moe/IR/MoEDialect.h"

#include "dialects/moe/IR/MoEOps.h"

using namespace mlir;
using namespace hexmoe::moe;

#include "dialects/moe/IR/MoEDialect.cpp.inc"
#include "dialects/moe/IR/MoEEnums.cpp.inc"

void MoEDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/moe/IR/MoEOps.cpp.inc"
      >();
}
