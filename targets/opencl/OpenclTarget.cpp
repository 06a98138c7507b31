//===- OpenclTarget.cpp - the OpenCL C target -----------------------------===//
//
// Emits every kernel function of the launch plan as OpenCL C into one
// program, the executable of format "opencl-c" (compiler/Target/KernelSource).
// The runtime's opencl driver builds it for its device at load, through the
// ICD loader, so one artifact runs on any OpenCL 1.2 device: PoCL on a CPU, a
// GPU's vendor driver.
//
// Beside each kernel the program carries its ABI record (kernel_abi.h) as a
// line `//@hexmoe-abi <kernel> <record...>`, which the driver compares with
// the artifact's launch metadata before building, as the CPU driver does
// with the records its shared objects export.
//
//===----------------------------------------------------------------------===//
#include "targets/opencl/OpenclTarget.h"

#include "compiler/Target/KernelSource.h"
#include "compiler/Target/TargetBackend.h"

#include "mlir/IR/BuiltinOps.h"

namespace hexmoe::opencl {
namespace {

class OpenclTargetBackend final : public compiler::TargetBackend {
public:
  llvm::StringRef name() const override { return "opencl"; }
  llvm::StringRef description() const override {
    return "OpenCL 1.2 devices: OpenCL C source, built by the runtime's opencl driver at load";
  }
  std::vector<std::string> variantNames() const override { return {"c"}; }
  bool supportsBf16Weights() const override { return true; }
  bool supportsDynamicTokens() const override { return true; }

  mlir::FailureOr<compiler::TargetResult> compile(mlir::ModuleOp module, llvm::StringRef variant) override {
    if (!variant.empty() && variant != "c")
      return module.emitError() << "unknown opencl variant '" << variant << "' (expected c)";
    mlir::FailureOr<compiler::ExecutableBinary> exe =
        compiler::emitSourceProgram(module, compiler::SourceLanguage::OpenCL, "opencl-c", ".cl");
    if (mlir::failed(exe)) return mlir::failure();
    compiler::TargetResult result;
    result.executables.push_back(std::move(*exe));
    return result;
  }
};

} // namespace

void registerOpenclTarget() { compiler::registerTargetBackend(std::make_unique<OpenclTargetBackend>()); }

} // namespace hexmoe::opencl
