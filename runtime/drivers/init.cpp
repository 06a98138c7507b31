// The HAL drivers built into libhexmoe_runtime, in the order --list-devices
// shows them. A new driver is its folder under runtime/drivers/, one line
// here and its CMake option; nothing in the core names a driver.
#include "runtime/core/hal/driver.h"

namespace hexmoe::hal {

namespace cpu {
std::unique_ptr<Driver> createCpuDriver();
}
namespace opencl {
std::unique_ptr<Driver> createOpenclDriver();
}

const std::vector<DriverFactory>& builtinDrivers() {
  static const std::vector<DriverFactory> kDrivers = {
      {"cpu", &cpu::createCpuDriver},
#ifdef HEXMOE_DRIVER_OPENCL
      {"opencl", &opencl::createOpenclDriver},
#endif
  };
  return kDrivers;
}

}  // namespace hexmoe::hal
