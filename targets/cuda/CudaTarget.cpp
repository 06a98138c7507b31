//===- CudaTarget.cpp - the CUDA PTX target -------------------------------===//
//
// The cuda-source target's kernels, written freestanding (no CUDA header, no
// libdevice: exp and erf are polynomials of ours) and compiled ahead of time
// by clang 22's CUDA mode through LLVM's NVPTX backend, one PTX program per
// architecture: format "ptx-sm_80" (PTX ISA 7.0) and "ptx-sm_90" (7.8), which
// every driver since CUDA 11.8 loads. The runtime's cuda driver loads the PTX
// directly: no NVRTC on the serving machine. Each kernel's ABI record follows
// the PTX as a `//@hexmoe-abi` comment line.
//
//===----------------------------------------------------------------------===//
#include "targets/cuda/CudaTarget.h"

#include "compiler/Target/KernelSource.h"

#include "llvm/ADT/StringExtras.h"

namespace hexmoe::cuda {
namespace {

struct Arch {
  const char *name;  // sm_90
  const char *ptx;   // +ptx78: the oldest PTX ISA that has the architecture
};
constexpr Arch kArchs[] = {{"sm_80", "+ptx70"}, {"sm_90", "+ptx78"}};

class CudaTargetBackend final : public compiler::TargetBackend {
public:
  llvm::StringRef name() const override { return "cuda"; }
  llvm::StringRef description() const override {
    return "NVIDIA GPUs: PTX per architecture, compiled ahead of time by clang (no CUDA install needed); "
           "the runtime's cuda driver loads it";
  }
  std::vector<std::string> variantNames() const override { return {"sm_80", "sm_90"}; }
  bool supportsBf16Weights() const override { return true; }
  bool supportsDynamicTokens() const override { return true; }

  mlir::FailureOr<compiler::TargetResult> compile(mlir::ModuleOp module, llvm::StringRef variant) override {
    std::vector<const Arch *> archs;
    for (const Arch &a : kArchs)
      if (variant.empty() || variant == a.name) archs.push_back(&a);
    if (archs.empty()) return module.emitError() << "unknown cuda variant '" << variant << "' (expected sm_80 or sm_90)";
    mlir::FailureOr<compiler::ExecutableBinary> source =
        compiler::emitSourceProgram(module, compiler::SourceLanguage::Cuda, "cuda", ".cu", /*freestanding=*/true);
    if (mlir::failed(source)) return mlir::failure();
    // The ABI records, to follow the PTX.
    std::string records;
    llvm::SmallVector<llvm::StringRef> lines;
    llvm::StringRef(reinterpret_cast<const char *>(source->data.data()), source->data.size()).split(lines, '\n');
    for (llvm::StringRef line : lines)
      if (line.starts_with(compiler::kSourceAbiMarker)) records += line.str() + "\n";
    compiler::TargetResult result;
    for (const Arch *a : archs) {
      const std::string what = std::string("cuda ") + a->name;
      mlir::FailureOr<std::vector<uint8_t>> ptx = compiler::compileWithClang(
          module, what, source->data, "kernels.cu",
          {"-x", "cuda", "--cuda-device-only", std::string("--cuda-gpu-arch=") + a->name, "--cuda-path={dir}",
           "-nocudainc", "-nocudalib", "-Xclang", "-target-feature", "-Xclang", a->ptx, "-O3", "-S",
           "-Wno-unknown-cuda-version"});
      if (mlir::failed(ptx)) return mlir::failure();
      compiler::ExecutableBinary exe;
      exe.format = std::string("ptx-") + a->name;
      exe.name = exe.format;
      exe.kernels = source->kernels;
      exe.data = std::move(*ptx);
      exe.data.insert(exe.data.end(), records.begin(), records.end());
      exe.fileExtension = ".ptx";
      result.executables.push_back(std::move(exe));
    }
    result.dumpOnly.push_back({"cuda.cu", std::move(source->data)});
    return result;
  }
};

} // namespace

void registerCudaTarget() { compiler::registerTargetBackend(std::make_unique<CudaTargetBackend>()); }

} // namespace hexmoe::cuda
