//===- CudaSourceTarget.cpp - the CUDA C++ source target ------------------===//
//
// Emits every kernel function of the launch plan as CUDA C++ (`extern "C"
// __global__` kernels, no headers needed) into one program of format
// "cuda-cpp" (compiler/Target/KernelSource). The runtime's cuda driver
// compiles it with NVRTC for the device at load; a chip whose toolchain
// takes CUDA source (Moore Threads MUSA, MetaX MACA) compiles the same file.
//
//===----------------------------------------------------------------------===//
#include "targets/cuda/CudaSourceTarget.h"

#include "compiler/Target/KernelSource.h"

namespace hexmoe::cuda {
namespace {

class CudaSourceTargetBackend final : public compiler::TargetBackend {
public:
  llvm::StringRef name() const override { return "cuda-source"; }
  llvm::StringRef description() const override {
    return "CUDA C++ source, compiled by the runtime's cuda driver with NVRTC at load (or by a "
           "CUDA-compatible chip's compiler)";
  }
  std::vector<std::string> variantNames() const override { return {"cpp"}; }
  bool supportsBf16Weights() const override { return true; }
  bool supportsDynamicTokens() const override { return true; }

  mlir::FailureOr<compiler::TargetResult> compile(mlir::ModuleOp module, llvm::StringRef variant) override {
    if (!variant.empty() && variant != "cpp")
      return module.emitError() << "unknown cuda-source variant '" << variant << "' (expected cpp)";
    mlir::FailureOr<compiler::ExecutableBinary> exe =
        compiler::emitSourceProgram(module, compiler::SourceLanguage::Cuda, "cuda-cpp", ".cu");
    if (mlir::failed(exe)) return mlir::failure();
    compiler::TargetResult result;
    result.executables.push_back(std::move(*exe));
    return result;
  }
};

} // namespace

void registerCudaSourceTarget() { compiler::registerTargetBackend(std::make_unique<CudaSourceTargetBackend>()); }

} // namespace hexmoe::cuda
