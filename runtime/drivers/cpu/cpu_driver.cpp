// The CPU driver.
#include "runtime/drivers/cpu/cpu_driver.h"

#include "runtime/drivers/cpu/cpu_device.h"

namespace hexmoe::hal::cpu {

StatusOr<std::vector<hal::DeviceListing>> CpuDriver::listDevices() {
  const std::string model = cpuModelName();
  const int cpus = availableCpus();
  return std::vector<hal::DeviceListing>{
      {"cpu:0", (model.empty() ? std::string("CPU") : model) + ", " + std::to_string(cpus) +
                    (cpus == 1 ? " CPU" : " CPUs") + " (cpu:N opens the host again with a thread pool of its own)"}};
}

StatusOr<std::unique_ptr<hal::Device>> CpuDriver::createDevice(int ordinal, const hal::DeviceOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<CpuDevice> device, CpuDevice::create(ordinal, options));
  return std::unique_ptr<hal::Device>(std::move(device));
}

std::unique_ptr<hal::Driver> createCpuDriver() { return std::make_unique<CpuDriver>(); }

}  // namespace hexmoe::hal::cpu
