//===- hexmoe-compile.cpp - moe MLIR → hexmoe artifact --------------------===//
#include "compiler/Driver/Compile.h"
#include "compiler/Target/TargetBackend.h"
#include "targets/InitAllTargets.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"), cl::Required);
static cl::opt<std::string> outputFile("o", cl::desc("Output artifact (default: INPUT with .hxm)"),
                                       cl::value_desc("file"));
static cl::opt<std::string> target(
    "target",
    cl::desc("Target and variant: cpu (x86-64-v3 and x86-64-v4 variants), cpu:x86-64-v3, "
             "cpu:x86-64-v4, or cpu:native (this machine's exact CPU; opt-in)"),
    cl::init("cpu"));
static cl::opt<std::string> weightType(
    "weight-type",
    cl::desc("Element type of expert weights in the compiled functions: f32 (default) or "
             "bf16 (gate/up/down of routed and shared experts; f32 accumulation)"),
    cl::init("f32"));
static cl::opt<bool> quiet("quiet", cl::desc("Print nothing on success"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerPassManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) { os << "hexmoe-compile 0.1\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "hexmoe-compile: compiles a moe-dialect MLIR file into a hexmoe artifact (.hxm)\n\n"
      "  hexmoe-compile models/examples/mixtral_layer.mlir --target=cpu -o layer.hxm\n"
      "  hexmoe-run layer.hxm --input=@hidden.npy ... --output=@out.npy\n\n"
      "The artifact holds the launch plan of every function and one shared object per\n"
      "CPU variant; the runtime picks the best variant the host supports.\n");

  hexmoe::registerAllTargets();
  mlir::MLIRContext context;
  hexmoe::compiler::prepareContext(context);
  if (weightType != "f32" && weightType != "bf16") {
    llvm::errs() << "hexmoe-compile: --weight-type must be f32 or bf16, got '" << weightType
                 << "'\n";
    return 1;
  }

  std::string error;
  auto file = mlir::openInputFile(inputFile, &error);
  if (!file) {
    llvm::errs() << "hexmoe-compile: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  auto start = std::chrono::steady_clock::now();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  if (!module) return 1;

  hexmoe::compiler::CompileOptions options;
  options.target = target;
  options.pipeline.weightType = weightType;
  options.source = inputFile;
  auto artifact = hexmoe::compiler::compileModule(*module, options);
  if (mlir::failed(artifact)) return 1;

  std::string out = outputFile;
  if (out.empty()) {
    llvm::StringRef in(inputFile);
    out = (in.ends_with(".mlir") ? in.drop_back(5) : in).str() + ".hxm";
  }
  auto output = mlir::openOutputFile(out, &error);
  if (!output) {
    llvm::errs() << "hexmoe-compile: " << error << "\n";
    return 1;
  }
  output->os().write(reinterpret_cast<const char *>(artifact->data()), artifact->size());
  output->keep();
  if (!quiet) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << "hexmoe-compile: wrote " << out << " (" << artifact->size() << " bytes, target "
                 << target << ", " << weightType << " weights) in "
                 << llvm::format("%.2f", seconds) << " s\n";
  }
  return 0;
}
