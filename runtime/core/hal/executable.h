// HAL executable: an artifact's kernels loaded for one device.
#ifndef HEXMOE_RUNTIME_CORE_HAL_EXECUTABLE_H_
#define HEXMOE_RUNTIME_CORE_HAL_EXECUTABLE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace hexmoe::hal {

/// How a kernel of this executable covers a dispatch's workload W:
/// workgroups * ceil(W / tile) workgroups, or `workgroups` when tile is 0
/// (the artifact's KernelLaunch).
struct KernelLaunch {
  int64_t workgroups = 1;
  int64_t tile = 0;
};

/// Kernels are numbered as in Artifact.kernels; every one is resolved at load,
/// so a dispatch never fails for a missing kernel.
class Executable {
 public:
  virtual ~Executable() = default;
  /// One entry per kernel, as the chosen artifact executable records them.
  const std::vector<KernelLaunch>& launches() const { return launches_; }
  /// The artifact executable that was chosen: its format ("cpu-x86_64-v4")
  /// and name ("x86-64-v4").
  virtual const std::string& format() const = 0;
  virtual const std::string& name() const = 0;
  virtual int kernelCount() const = 0;

 protected:
  std::vector<KernelLaunch> launches_;
};

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_EXECUTABLE_H_
