// HAL driver: creates devices of one kind. Drivers never include each other;
// the built-in ones are listed in driver.cpp.
#ifndef HEXMOE_RUNTIME_CORE_HAL_DRIVER_H_
#define HEXMOE_RUNTIME_CORE_HAL_DRIVER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/hal/allocator.h"
#include "runtime/core/hal/device.h"
#include "runtime/base/status.h"

namespace hexmoe::hal {

struct DeviceOptions {
  /// Threads for host-side execution, the calling thread included; <= 0
  /// means HEXMOE_THREADS or the CPUs this process may run on.
  int threads = 0;
  HostAllocator allocator;
  /// CPU driver: replaces or edits the detected host features (the syntax of
  /// HEXMOE_CPU_FEATURES, which applies when this is unset).
  std::optional<std::string> cpuFeatures;
  /// CPU driver: loads this variant (by isa) instead of the best one
  /// (HEXMOE_CPU_VARIANT applies when this is unset).
  std::optional<std::string> cpuVariant;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual const char* name() const = 0;
  virtual StatusOr<std::unique_ptr<Device>> createDevice(const DeviceOptions& options) = 0;
};

/// The drivers built into this library, by name.
std::vector<std::string> builtinDrivers();
StatusOr<std::unique_ptr<Driver>> createDriver(const std::string& name);

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_DRIVER_H_
