// Loading a CPU variant: select, permit, load, resolve.
#include "runtime/drivers/cpu/cpu_executable.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "artifact_generated.h"
#include "runtime/core/logging.h"
#include "runtime/drivers/cpu/cpu_variant.h"

namespace hexmoe::cpu {
namespace {

/// Linux hands out AMX tile state only to processes that ask for it; a kernel
/// using AMX without this dies with SIGILL.
Status requestAmxPermission(const std::string& what) {
#if defined(__x86_64__) && defined(SYS_arch_prctl)
  constexpr int kArchReqXcompPerm = 0x1023;
  constexpr int kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
    return errnoStatus(errno, what + ": the OS refused AMX tile state");
  return okStatus();
#else
  return failedPrecondition(what + ": AMX is not available on this platform");
#endif
}

}  // namespace

StatusOr<std::unique_ptr<CpuExecutable>> CpuExecutable::load(const schema::Artifact& artifact,
                                                             const VariantPolicy& policy,
                                                             const std::string& what) {
  std::vector<VariantRequirements> variants;
  if (artifact.cpu_variants()) {
    for (const schema::CpuVariant* v : *artifact.cpu_variants()) {
      VariantRequirements r;
      r.isa = v->isa() ? v->isa()->str() : "";
      if (v->required_features())
        for (const flatbuffers::String* f : *v->required_features()) r.features.push_back(f->str());
      variants.push_back(std::move(r));
    }
  }
  StatusOr<int> chosen =
      selectVariant(variants, policy.hostFeatures, policy.forcedVariant, policy.forcedBy, what);
  if (!chosen.ok()) {
    Status status = std::move(chosen).status();
    // Say so when the host's features were overridden, not detected.
    if (!policy.featuresSource.empty())
      status = Status(status.code(), status.message() + " [host features from " + policy.featuresSource + "]");
    return std::move(status).at(__FILE__, __LINE__);
  }
  const schema::CpuVariant* variant = artifact.cpu_variants()->Get(*chosen);
  const VariantRequirements& req = variants[*chosen];

  for (const std::string& f : req.features) {
    if (canonicalFeatureName(f).rfind("amx_", 0) == 0) {
      HEXMOE_RETURN_IF_ERROR(requestAmxPermission(what));
      break;
    }
  }

  const std::string label = what + ", CPU variant " + req.isa;
  if (!variant->shared_object() || variant->shared_object()->size() == 0)
    return invalidArgument(label + ": no shared object");
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<SharedObject> object,
                          SharedObject::loadFromMemory(variant->shared_object()->data(),
                                                       variant->shared_object()->size(), label));

  std::unique_ptr<CpuExecutable> exe(new CpuExecutable());
  exe->isa_ = req.isa;
  const int numKernels = artifact.kernels() ? static_cast<int>(artifact.kernels()->size()) : 0;
  exe->kernels_.reserve(numKernels);
  for (int k = 0; k < numKernels; ++k) {
    const std::string name = artifact.kernels()->Get(k)->name()->str();
    std::string error;
    void* fn = object->symbol(name, error);
    if (!fn) return notFound(label + ": kernel '" + name + "' is missing from the shared object (" + error + ")");
    exe->kernels_.push_back(reinterpret_cast<hexmoe_cpu_kernel_fn>(fn));
  }
  HEXMOE_LOG_INFO("{}: loaded CPU variant {} ({} kernels, via {}; needs {})", what, req.isa, numKernels,
                  object->method(), req.features.empty() ? "nothing" : joinFeatures(req.features));
  exe->object_ = std::move(object);
  return exe;
}

}  // namespace hexmoe::cpu
