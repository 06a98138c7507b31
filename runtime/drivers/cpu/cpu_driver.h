// The CPU driver: the reference HAL driver. Device cpu:N is the host with a
// thread pool of its own, so one machine can stand for several devices.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DRIVER_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DRIVER_H_

#include <memory>

#include "runtime/core/hal/driver.h"

namespace hexmoe::hal::cpu {

class CpuDriver final : public hal::Driver {
 public:
  const char* name() const override { return "cpu"; }
  /// threads: kernel threads, the caller's included (default HEXMOE_THREADS,
  /// else every CPU this process may run on); features: replaces or edits
  /// the detected x86 features (the syntax of HEXMOE_CPU_FEATURES, which
  /// applies when unset); variant: the executable to load by name (else
  /// HEXMOE_CPU_VARIANT, else the best one).
  std::vector<std::string> optionNames() const override { return {"threads", "features", "variant"}; }
  StatusOr<std::vector<hal::DeviceListing>> listDevices() override;
  StatusOr<std::unique_ptr<hal::Device>> createDevice(int ordinal, const hal::DeviceOptions& options) override;
};

/// Listed in runtime/drivers/init.cpp.
std::unique_ptr<hal::Driver> createCpuDriver();

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DRIVER_H_
