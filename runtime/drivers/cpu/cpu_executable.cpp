// Loading a CPU variant: select, permit, load, resolve.
#include "runtime/drivers/cpu/cpu_executable.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "artifact_generated.h"
#include "runtime/core/hal/kernel_abi_check.h"
#include "runtime/core/logging.h"
#include "runtime/drivers/cpu/cpu_variant.h"
#include "runtime/schema/kernel_abi.h"

namespace hexmoe::hal::cpu {
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

/// Refuses a kernel whose code was generated for other launch metadata than
/// the artifact now describes (an edit after compilation, or a mismatched
/// kernel table): the code would index memory the buffers do not have.
Status checkKernelAbi(const SharedObject& object, const schema::Kernel& k, const schema::KernelLaunch& launch,
                      const std::string& label) {
  const std::string name = k.name()->str();
  std::string error;
  size_t size = 0;
  const void* p = object.data(HEXMOE_KERNEL_ABI_PREFIX + name, size, error);
  if (!p) return dataLoss(label + ": kernel '" + name + "' has no ABI record (" + error + ")");
  const std::vector<int64_t> want = hal::expectedKernelAbi(k, launch);
  // A record is a few hundred bytes; a symbol size beyond this is a damaged symbol table.
  constexpr size_t kMaxRecordBytes = 64 << 10;
  if (size % sizeof(int64_t) != 0 || size < sizeof(int64_t) || size > kMaxRecordBytes)
    return dataLoss(label + ": kernel '" + name + "' has a malformed ABI record (" + std::to_string(size) + " bytes)");
  // Never more than the record the artifact implies: a longer one differs
  // anyway, and its size is only what the symbol table claims.
  std::vector<int64_t> have(std::min(size, (want.size() + 1) * sizeof(int64_t)) / sizeof(int64_t));
  std::memcpy(have.data(), p, have.size() * sizeof(int64_t));
  return hal::compareKernelAbi(have, want, name, label);
}

}  // namespace

bool isCpuFormat(const std::string& format) { return format.rfind(kCpuFormatPrefix, 0) == 0; }

StatusOr<std::unique_ptr<CpuExecutable>> CpuExecutable::load(const schema::Artifact& artifact,
                                                             const VariantPolicy& policy,
                                                             const std::string& what) {
  // The CPU executables, with their positions in the artifact.
  std::vector<VariantRequirements> variants;
  std::vector<const schema::Executable*> candidates;
  if (artifact.executables()) {
    for (const schema::Executable* e : *artifact.executables()) {
      if (!isCpuFormat(e->format()->str())) continue;
      VariantRequirements r;
      r.isa = e->name() && e->name()->size() ? e->name()->str() : e->format()->str();
      if (e->requirements())
        for (const flatbuffers::String* f : *e->requirements()) r.features.push_back(f->str());
      variants.push_back(std::move(r));
      candidates.push_back(e);
    }
  }
  if (variants.empty())
    return notFound(what + ": the artifact has no CPU code (no " + std::string(kCpuFormatPrefix) +
                    "* executable)");
  StatusOr<int> chosen =
      selectVariant(variants, policy.hostFeatures, policy.forcedVariant, policy.forcedBy, what);
  if (!chosen.ok()) {
    Status status = std::move(chosen).status();
    // Say so when the host's features were overridden, not detected.
    if (!policy.featuresSource.empty())
      status = Status(status.code(), status.message() + " [host features from " + policy.featuresSource + "]");
    return std::move(status).at(__FILE__, __LINE__);
  }
  const schema::Executable* variant = candidates[*chosen];
  const VariantRequirements& req = variants[*chosen];

  for (const std::string& f : req.features) {
    if (canonicalFeatureName(f).rfind("amx_", 0) == 0) {
      HEXMOE_RETURN_IF_ERROR(requestAmxPermission(what));
      break;
    }
  }

  const std::string label = what + ", CPU variant " + req.isa;
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<SharedObject> object,
                          SharedObject::loadFromMemory(variant->data()->data(), variant->data()->size(), label));

  std::unique_ptr<CpuExecutable> exe(new CpuExecutable());
  exe->format_ = variant->format()->str();
  for (const schema::KernelLaunch* l : *variant->launches()) exe->launches_.push_back({l->workgroups(), l->tile()});
  exe->name_ = req.isa;
  const int numKernels = artifact.kernels() ? static_cast<int>(artifact.kernels()->size()) : 0;
  exe->kernels_.reserve(numKernels);
  for (int k = 0; k < numKernels; ++k) {
    const std::string name = artifact.kernels()->Get(k)->name()->str();
    std::string error;
    void* fn = object->symbol(name, error);
    if (!fn) return notFound(label + ": kernel '" + name + "' is missing from the shared object (" + error + ")");
    HEXMOE_RETURN_IF_ERROR(checkKernelAbi(*object, *artifact.kernels()->Get(k), *variant->launches()->Get(k), label));
    exe->kernels_.push_back(reinterpret_cast<hexmoe_cpu_kernel_fn>(fn));
  }
  HEXMOE_LOG_INFO("{}: loaded CPU variant {} ({} kernels, via {}; needs {})", what, req.isa, numKernels,
                  object->method(), req.features.empty() ? "nothing" : joinFeatures(req.features));
  exe->object_ = std::move(object);
  return exe;
}

}  // namespace hexmoe::hal::cpu
