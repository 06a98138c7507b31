//===- RocmTarget.cpp - the ROCm HSACO target -----------------------------===//
//
// The hip-source target's kernels, written freestanding (no ROCm header, no
// device library: exp and erf are polynomials of ours) and compiled ahead of
// time by clang 22's HIP mode through LLVM's AMDGPU backend and lld, one code
// object per architecture: format "hsaco-gfx906" (Hygon Z100-class DCUs,
// MI50), "hsaco-gfx90a" (MI210/MI250), "hsaco-gfx942" (MI300), "hsaco-gfx950"
// (MI350). No ROCm install is needed to compile. The code object carries the
// kernels' ABI records in a string constant of lines `//@hexmoe-abi ...`,
// which the runtime's hip driver reads before it loads the code.
//
//===----------------------------------------------------------------------===//
#include "targets/rocm/RocmTarget.h"

#include "compiler/Target/KernelSource.h"

#include "llvm/ADT/StringExtras.h"

namespace hexmoe::rocm {
namespace {

constexpr const char *kArchs[] = {"gfx906", "gfx90a", "gfx942", "gfx950"};

class RocmTargetBackend final : public compiler::TargetBackend {
public:
  llvm::StringRef name() const override { return "rocm"; }
  llvm::StringRef description() const override {
    return "AMD GPUs: a code object per architecture, compiled ahead of time by clang (no ROCm install "
           "needed); the runtime's hip driver loads it";
  }
  std::vector<std::string> variantNames() const override { return {kArchs[0], kArchs[1], kArchs[2], kArchs[3]}; }
  bool supportsBf16Weights() const override { return true; }
  bool supportsDynamicTokens() const override { return true; }

  mlir::FailureOr<compiler::TargetResult> compile(mlir::ModuleOp module, llvm::StringRef variant) override {
    std::vector<const char *> archs;
    for (const char *a : kArchs)
      if (variant.empty() || variant == a) archs.push_back(a);
    if (archs.empty())
      return module.emitError() << "unknown rocm variant '" << variant << "' (expected gfx906, gfx90a, gfx942 or gfx950)";
    mlir::FailureOr<compiler::ExecutableBinary> source =
        compiler::emitSourceProgram(module, compiler::SourceLanguage::Hip, "rocm", ".hip", /*freestanding=*/true);
    if (mlir::failed(source)) return mlir::failure();
    // The ABI records as a string constant the code object keeps.
    std::string records = "\\n";
    llvm::SmallVector<llvm::StringRef> lines;
    llvm::StringRef(reinterpret_cast<const char *>(source->data.data()), source->data.size()).split(lines, '\n');
    for (llvm::StringRef line : lines)
      if (line.starts_with(compiler::kSourceAbiMarker)) records += line.str() + "\\n";
    const std::string constant = "extern \"C\" __attribute__((used)) __device__ const char hexmoe_abi_records[] = \"" +
                                 records + "\";\n";
    std::vector<uint8_t> program = source->data;
    program.insert(program.end(), constant.begin(), constant.end());
    compiler::TargetResult result;
    for (const char *a : archs) {
      const std::string what = std::string("rocm ") + a;
      mlir::FailureOr<std::vector<uint8_t>> code = compiler::compileWithClang(
          module, what, program, "kernels.hip",
          {"-x", "hip", "--cuda-device-only", std::string("--offload-arch=") + a, "--rocm-path={dir}", "-nogpuinc",
           "-nogpulib", "--no-gpu-bundle-output", "-O3"});
      if (mlir::failed(code)) return mlir::failure();
      compiler::ExecutableBinary exe;
      exe.format = std::string("hsaco-") + a;
      exe.name = exe.format;
      exe.kernels = source->kernels;
      exe.data = std::move(*code);
      exe.fileExtension = ".hsaco";
      result.executables.push_back(std::move(exe));
    }
    result.dumpOnly.push_back({"rocm.hip", std::move(program)});
    return result;
  }
};

} // namespace

void registerRocmTarget() { compiler::registerTargetBackend(std::make_unique<RocmTargetBackend>()); }

} // namespace hexmoe::rocm
