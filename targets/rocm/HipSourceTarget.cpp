//===- HipSourceTarget.cpp - the HIP C++ source target --------------------===//
//
// Emits every kernel function of the launch plan as HIP C++ into one program
// of format "hip-cpp" (compiler/Target/KernelSource). hipRTC or hipcc
// compiles it for an AMD GPU; Hygon's DCUs (whose newer chips upstream LLVM
// does not know) compile the same file with their DTK.
//
//===----------------------------------------------------------------------===//
#include "targets/rocm/HipSourceTarget.h"

#include "compiler/Target/KernelSource.h"

namespace hexmoe::rocm {
namespace {

class HipSourceTargetBackend final : public compiler::TargetBackend {
public:
  llvm::StringRef name() const override { return "hip-source"; }
  llvm::StringRef description() const override {
    return "HIP C++ source, for hipRTC or hipcc (AMD GPUs, Hygon DCUs through their DTK)";
  }
  std::vector<std::string> variantNames() const override { return {"cpp"}; }
  bool supportsBf16Weights() const override { return true; }
  bool supportsDynamicTokens() const override { return true; }

  mlir::FailureOr<compiler::TargetResult> compile(mlir::ModuleOp module, llvm::StringRef variant) override {
    if (!variant.empty() && variant != "cpp")
      return module.emitError() << "unknown hip-source variant '" << variant << "' (expected cpp)";
    mlir::FailureOr<compiler::ExecutableBinary> exe =
        compiler::emitSourceProgram(module, compiler::SourceLanguage::Hip, "hip-cpp", ".hip");
    if (mlir::failed(exe)) return mlir::failure();
    compiler::TargetResult result;
    result.executables.push_back(std::move(*exe));
    return result;
  }
};

} // namespace

void registerHipSourceTarget() { compiler::registerTargetBackend(std::make_unique<HipSourceTargetBackend>()); }

} // namespace hexmoe::rocm
