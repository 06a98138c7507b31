// Loading the artifact's CUDA code: PTX as it is, or CUDA C++ through NVRTC; check, load.
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "artifact_generated.h"
#include "runtime/core/hal/kernel_abi_check.h"
#include "runtime/core/logging.h"
#include "runtime/drivers/cuda/cuda_device.h"

namespace hexmoe::hal::cuda {

CudaExecutable::~CudaExecutable() {
  if (module_ && context_->bind().ok()) context_->api->cuModuleUnload(module_);
}

StatusOr<std::unique_ptr<CudaExecutable>> CudaExecutable::load(std::shared_ptr<Context> context,
                                                               const schema::Artifact& artifact,
                                                               const std::string& nvrtcOptions,
                                                               const std::string& what) {
  // PTX compiled ahead of time for the newest architecture the device runs
  // (no NVRTC needed), else CUDA C++ compiled here.
  const schema::Executable* chosen = nullptr;
  int chosenArch = 0;
  const schema::Executable* source = nullptr;
  if (artifact.executables())
    for (const schema::Executable* e : *artifact.executables()) {
      const std::string format = e->format()->str();
      if (format == kCudaSourceFormat) source = e;
      if (format.rfind(kPtxFormatPrefix, 0) != 0) continue;
      char* end = nullptr;
      const long arch = std::strtol(format.c_str() + std::strlen(kPtxFormatPrefix), &end, 10);
      if (*end || arch <= 0 || arch > context->arch || arch <= chosenArch) continue;
      chosen = e;
      chosenArch = static_cast<int>(arch);
    }
  if (!chosen) chosen = source;
  if (!chosen)
    return notFound(what + ": the artifact has no CUDA code " + context->name + " runs (no " +
                    std::string(kPtxFormatPrefix) + "XX for XX <= " + std::to_string(context->arch) + ", no " +
                    kCudaSourceFormat + "; compile with --target=cuda or cuda-source, e.g. --target=cpu,cuda-source)");
  std::unique_ptr<CudaExecutable> exe(new CudaExecutable());
  exe->format_ = chosen->format()->str();
  const std::string label = what + ", " + exe->format_ + " program";
  const std::string text(reinterpret_cast<const char*>(chosen->data()->data()), chosen->data()->size());
  if (text.find('\0') != std::string::npos) return dataLoss(label + ": the code holds a NUL byte");
  HEXMOE_RETURN_IF_ERROR(checkSourceAbiRecords(artifact, *chosen, text, label));

  const auto start = std::chrono::steady_clock::now();
  std::string ptx = text;
  if (chosen == source) {
    HEXMOE_ASSIGN_OR_RETURN(ptx, compileToPtx(text, context->arch, nvrtcOptions, label));
  }
  const Api* api = context->api;
  HEXMOE_RETURN_IF_ERROR(context->bind());
  exe->context_ = context;
  for (const schema::KernelLaunch* l : *chosen->launches()) exe->launches_.push_back({l->workgroups(), l->tile()});
  // The JIT's error log says why PTX does not load (a driver older than NVRTC).
  std::string log(8192, '\0');
  CUjit_option keys[] = {kJitErrorLogBuffer, kJitErrorLogBufferSize};
  void* values[] = {log.data(), reinterpret_cast<void*>(static_cast<uintptr_t>(log.size()))};
  const CUresult loaded = api->cuModuleLoadDataEx(&exe->module_, ptx.c_str(), 2, keys, values);
  if (loaded != kCudaSuccess) {
    log.resize(std::strlen(log.c_str()));
    Status status = cuStatus(api, loaded, label + ": loading its PTX on " + context->name);
    return Status(status.code(), status.message() + (log.empty() ? "" : ":\n" + log));
  }
  const int numKernels = artifact.kernels() ? static_cast<int>(artifact.kernels()->size()) : 0;
  for (int k = 0; k < numKernels; ++k) {
    const schema::Kernel& kernel = *artifact.kernels()->Get(k);
    const std::string name = kernel.name()->str();
    CUfunction f = nullptr;
    const CUresult r = api->cuModuleGetFunction(&f, exe->module_, name.c_str());
    if (r != kCudaSuccess)
      return dataLoss(label + ": kernel '" + name + "' is missing from the program (" + errorName(api, r) + ")");
    exe->functions_.push_back(f);
    exe->bindingCounts_.push_back(kernel.num_bindings());
    exe->kernelNames_.push_back(name);
  }
  HEXMOE_LOG_INFO("{}: loaded {} on {} (sm_{}, {} kernels) in {:.0f} ms", what, exe->format_, context->name,
                  context->arch, numKernels,
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return exe;
}

}  // namespace hexmoe::hal::cuda
