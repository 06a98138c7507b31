// CPU executables: one CPU variant of an artifact, loaded, its kernels resolved.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_CPU_EXECUTABLE_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_CPU_EXECUTABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "runtime/core/hal/executable.h"
#include "runtime/drivers/cpu/cpu_features.h"
#include "runtime/drivers/cpu/shared_object.h"
#include "runtime/schema/kernel_abi.h"

namespace hexmoe::schema {
struct Artifact;
}

namespace hexmoe::hal::cpu {

/// Every executable format this driver loads starts so: "cpu-x86_64-v3",
/// "cpu-x86_64-v4", "cpu-x86_64-native", "cpu-x86_64" (ELF shared objects
/// with the ABI of kernel_abi.h).
inline constexpr const char* kCpuFormatPrefix = "cpu-x86_64";
bool isCpuFormat(const std::string& format);

struct VariantPolicy {
  FeatureSet hostFeatures;
  std::string featuresSource;  // e.g. "HEXMOE_CPU_FEATURES=avx2,fma"; empty when detected
  std::string forcedVariant;   // empty: the best one
  std::string forcedBy;        // "HEXMOE_CPU_VARIANT" or "the cpu_variant option"
};

class CpuExecutable final : public hal::Executable {
 public:
  /// Selects among the artifact's CPU executables (cpu_variant.h), loads its
  /// shared object and resolves every kernel; a missing kernel is an error
  /// naming it. NotFound when the artifact has no CPU executable.
  static StatusOr<std::unique_ptr<CpuExecutable>> load(const schema::Artifact& artifact,
                                                       const VariantPolicy& policy,
                                                       const std::string& what);

  const std::string& format() const override { return format_; }
  const std::string& name() const override { return name_; }
  int kernelCount() const override { return static_cast<int>(kernels_.size()); }
  hexmoe_cpu_kernel_fn kernel(int index) const { return kernels_[index]; }

 private:
  CpuExecutable() = default;
  std::string format_;
  std::string name_;
  std::unique_ptr<SharedObject> object_;
  std::vector<hexmoe_cpu_kernel_fn> kernels_;
};

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_CPU_EXECUTABLE_H_
