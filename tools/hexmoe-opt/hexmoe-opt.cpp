//===- hexmoe-opt.cpp - mlir-opt with the moe dialect and hexmoe passes ---===//
//
// Drives the lit tests: every upstream dialect and pass, plus the moe dialect,
// its passes, the launch planning pass, and each target's lowering passes.
//
//===----------------------------------------------------------------------===//
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "compiler/Plan/Passes.h"
#include "dialects/moe/IR/MoEDialect.h"
#include "dialects/moe/Transforms/Passes.h"
#include "targets/InitAllTargets.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  hexmoe::moe::registerMoEPasses();
  hexmoe::compiler::registerMoEPlanPasses();
  hexmoe::registerAllTargetPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<hexmoe::moe::MoEDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "hexmoe optimizer driver\n", registry));
}
