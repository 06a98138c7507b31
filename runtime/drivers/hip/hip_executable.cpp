// Loading the artifact's HIP code: a code object as it is, or HIP C++ through hipRTC; check, load.
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
  // Code objects compiled ahead of time (the one for hip.arch, or each until
  // one loads), else HIP C++ compiled here with hipRTC.
  std::vector<const schema::Executable*> objects;
  const schema::Executable* source = nullptr;
  if (artifact.executables())
    for (const schema::Executable* e : *artifact.executables()) {
      const std::string format = e->format()->str();
      if (format == kHipSourceFormat) source = e;
      if (format.rfind(kHsacoFormatPrefix, 0) == 0 &&
          (context->arch.empty() || format == kHsacoFormatPrefix + context->arch))
        objects.push_back(e);
    }
  if (objects.empty() && !source)
    return notFound(what + ": the artifact has no HIP code " + context->name + " runs (no " + kHsacoFormatPrefix +
                    (context->arch.empty() ? std::string("*") : context->arch) + ", no " + kHipSourceFormat +
                    "; compile with --target=rocm or hip-source, e.g. --target=cpu,hip-source)");
  const Api* api = context->api;
  HEXMOE_RETURN_IF_ERROR(context->bind());
  std::unique_ptr<HipExecutable> exe(new HipExecutable());
  exe->context_ = context;
  const auto start = std::chrono::steady_clock::now();
  std::string tried;
  for (const schema::Executable* e : objects) {
    const std::string label = what + ", " + e->format()->str();
    const std::string code(reinterpret_cast<const char*>(e->data()->data()), e->data()->size());
    HEXMOE_RETURN_IF_ERROR(checkSourceAbiRecords(artifact, *e, code, label));
    const hipError_t r = api->hipModuleLoadData(&exe->module_, code.data());
    if (r == kHipSuccess) {
      exe->format_ = e->format()->str();
      for (const schema::KernelLaunch* l : *e->launches()) exe->launches_.push_back({l->workgroups(), l->tile()});
      break;
    }
    exe->module_ = nullptr;
    tried += (tried.empty() ? "" : ", ") + e->format()->str() + " (" + errorName(api, r) + ")";
  }
  if (!exe->module_) {
    if (!source)
      return invalidArgument(what + ": none of the artifact's code objects loads on " + context->name + ": " + tried +
                             "; compile for its architecture (--target=rocm:gfxNNN) or add --target=hip-source");
    exe->format_ = kHipSourceFormat;
    const std::string label = what + ", " + exe->format_ + " program";
    const std::string text(reinterpret_cast<const char*>(source->data()->data()), source->data()->size());
    if (text.find('\0') != std::string::npos) return dataLoss(label + ": the source holds a NUL byte");
    HEXMOE_RETURN_IF_ERROR(checkSourceAbiRecords(artifact, *source, text, label));
    // hipRTC compiles for the current device unless an arch is named.
    HEXMOE_ASSIGN_OR_RETURN(std::string code, compileToCodeObject(text, context->arch, hiprtcOptions, label));
    HEXMOE_RETURN_IF_ERROR(hipStatus(api, api->hipModuleLoadData(&exe->module_, code.data()),
                                     label + ": loading its code object on " + context->name));
    for (const schema::KernelLaunch* l : *source->launches()) exe->launches_.push_back({l->workgroups(), l->tile()});
  }
  const std::string label = what + ", " + exe->format_;
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
  HEXMOE_LOG_INFO("{}: loaded {} on {} ({} kernels) in {:.0f} ms", what, exe->format_, context->name,
                  numKernels,
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return exe;
}

}  // namespace hexmoe::hal::hip
