// The HAL drivers built into libhexmoe_runtime, in the order --list-devices
// shows them. A new driver is its folder under runtime/drivers/, one line
// here and its CMake option; nothing in the core names a driver.
#include "runtime/core/hal/driver.h"

#define HEXMOE_DECLARE_DRIVER(ns, factory) \
  namespace ns {                           \
  std::unique_ptr<Driver> factory();       \
  }

namespace hexmoe::hal {

HEXMOE_DECLARE_DRIVER(cpu, createCpuDriver)
#ifdef HEXMOE_DRIVER_OPENCL
HEXMOE_DECLARE_DRIVER(opencl, createOpenclDriver)
#endif
#ifdef HEXMOE_DRIVER_CUDA
HEXMOE_DECLARE_DRIVER(cuda, createCudaDriver)
#endif
#ifdef HEXMOE_DRIVER_HIP
HEXMOE_DECLARE_DRIVER(hip, createHipDriver)
#endif

const std::vector<DriverFactory>& builtinDrivers() {
  static const std::vector<DriverFactory> kDrivers = {
      {"cpu", &cpu::createCpuDriver},
#ifdef HEXMOE_DRIVER_OPENCL
      {"opencl", &opencl::createOpenclDriver},
#endif
#ifdef HEXMOE_DRIVER_CUDA
      {"cuda", &cuda::createCudaDriver},
#endif
#ifdef HEXMOE_DRIVER_HIP
      {"hip", &hip::createHipDriver},
#endif
  };
  return kDrivers;
}

}  // namespace hexmoe::hal
