// The CPU driver.
#include "runtime/drivers/cpu/cpu_driver.h"

#include "runtime/drivers/cpu/cpu_device.h"

namespace hexmoe::cpu {

StatusOr<std::unique_ptr<hal::Device>> CpuDriver::createDevice(const hal::DeviceOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<CpuDevice> device, CpuDevice::create(options));
  return std::unique_ptr<hal::Device>(std::move(device));
}

std::unique_ptr<hal::Driver> createCpuDriver() { return std::make_unique<CpuDriver>(); }

}  // namespace hexmoe::cpu
