// Loading the artifact's HIP C++ program: check, compile with hipRTC, load the code object.
#include <chrono>

#include "artifact_generated.h"
#include "runtime/core/hal/kernel_abi_check.h"
#include "runtime/core/logging.h"
#include "runtime/drivers/hip/hip_device.h"

namespace hexmoe::hal::hip {

HipExecutable::~HipExecutable() {
  if (module_ && context_->bind().ok()) context_->api->hipModuleUnload(module_);
}

StatusOr<std::unique_ptr<HipExecutable>> HipExecutable::load(std::shared_ptr<Context> context,
                                                             const schema::Artifact& artifact,
                                                             const std::string& hiprtcOptions,
                                                             const std::string& what) {
  const schema::Executable* chosen = nullptr;
  if (artifact.executables())
    for (const schema::Executable* e : *artifact.executables())
      if (e->format()->str() == kHipSourceFormat) chosen = e;
  if (!chosen)
    return notFound(what + ": the artifact has no HIP code (no " + std::string(kHipSourceFormat) +
                    " executable; compile with --target=hip-source, e.g. --target=cpu,hip-source)");
  const std::string label = what + ", " + kHipSourceFormat + " program";
  const std::string source(reinterpret_cast<const char*>(chosen->data()->data()), chosen->data()->size());
  if (source.find('\0') != std::string::npos) return dataLoss(label + ": the source holds a NUL byte");
  HEXMOE_RETURN_IF_ERROR(checkSourceAbiRecords(artifact, *chosen, source, label));

  const auto start = std::chrono::steady_clock::now();
  // hipRTC compiles for the current device unless an arch is named.
  HEXMOE_RETURN_IF_ERROR(context->bind());
  HEXMOE_ASSIGN_OR_RETURN(std::string code, compileToCodeObject(source, context->arch, hiprtcOptions, label));
  const Api* api = context->api;
  std::unique_ptr<HipExecutable> exe(new HipExecutable());
  exe->context_ = context;
  for (const schema::KernelLaunch* l : *chosen->launches()) exe->launches_.push_back({l->workgroups(), l->tile()});
  HEXMOE_RETURN_IF_ERROR(hipStatus(api, api->hipModuleLoadData(&exe->module_, code.data()),
                                   label + ": loading its code object on " + context->name));
  const int numKernels = artifact.kernels() ? static_cast<int>(artifact.kernels()->size()) : 0;
  for (int k = 0; k < numKernels; ++k) {
    const schema::Kernel& kernel = *artifact.kernels()->Get(k);
    const std::string name = kernel.name()->str();
    hipFunction_t f = nullptr;
    const hipError_t r = api->hipModuleGetFunction(&f, exe->module_, name.c_str());
    if (r != kHipSuccess)
      return dataLoss(label + ": kernel '" + name + "' is missing from the program (" + errorName(api, r) + ")");
    exe->functions_.push_back(f);
    exe->bindingCounts_.push_back(kernel.num_bindings());
    exe->kernelNames_.push_back(name);
  }
  HEXMOE_LOG_INFO("{}: compiled {} for {} ({} kernels) in {:.0f} ms", what, kHipSourceFormat, context->name,
                  numKernels,
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return exe;
}

}  // namespace hexmoe::hal::hip
