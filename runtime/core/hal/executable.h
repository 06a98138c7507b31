// HAL executable: an artifact's kernels loaded for one device.
#ifndef HEXMOE_RUNTIME_CORE_HAL_EXECUTABLE_H_
#define HEXMOE_RUNTIME_CORE_HAL_EXECUTABLE_H_

#include <string>

namespace hexmoe::hal {

/// Kernels are numbered as in Artifact.kernels; every one is resolved at load,
/// so a dispatch never fails for a missing kernel.
class Executable {
 public:
  virtual ~Executable() = default;
  /// The artifact executable that was chosen: its format ("cpu-x86_64-v4")
  /// and name ("x86-64-v4").
  virtual const std::string& format() const = 0;
  virtual const std::string& name() const = 0;
  virtual int kernelCount() const = 0;
};

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_EXECUTABLE_H_
