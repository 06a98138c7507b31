// The CPU driver: the reference HAL driver, one device for the whole host.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DRIVER_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DRIVER_H_

#include <memory>

#include "runtime/core/hal/driver.h"

namespace hexmoe::cpu {

class CpuDriver final : public hal::Driver {
 public:
  const char* name() const override { return "cpu"; }
  StatusOr<std::unique_ptr<hal::Device>> createDevice(const hal::DeviceOptions& options) override;
};

/// Listed in runtime/core/hal/driver.cpp.
std::unique_ptr<hal::Driver> createCpuDriver();

}  // namespace hexmoe::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DRIVER_H_
