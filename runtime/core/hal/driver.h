// HAL driver: creates devices of one kind. Drivers never include each other
// or the list of built-in drivers, which lives outside the core
// (runtime/drivers/init.cpp).
#ifndef HEXMOE_RUNTIME_CORE_HAL_DRIVER_H_
#define HEXMOE_RUNTIME_CORE_HAL_DRIVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/core/hal/allocator.h"
#include "runtime/core/hal/device.h"

namespace hexmoe::hal {

/// How a device is set up: key/value settings only its driver interprets
/// (the CPU driver's are threads, features and variant) and the host memory
/// hooks every driver's host-side allocations use.
struct DeviceOptions {
  std::map<std::string, std::string> values;
  HostAllocator allocator;
};

/// One device a driver can open on this machine, as --list-devices shows it.
struct DeviceListing {
  std::string name;         // "cpu:0"
  std::string description;  // "AMD EPYC 9B14, 2 threads"
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual const char* name() const = 0;
  /// The keys of DeviceOptions::values this driver reads, for validation and help.
  virtual std::vector<std::string> optionNames() const = 0;
  /// The devices present here; Unavailable when the driver's library or its
  /// hardware is missing (the message says which).
  virtual StatusOr<std::vector<DeviceListing>> listDevices() = 0;
  /// Opens device `ordinal` ("cpu:1" is ordinal 1). Option keys outside
  /// optionNames() were refused before this is called.
  virtual StatusOr<std::unique_ptr<Device>> createDevice(int ordinal, const DeviceOptions& options) = 0;
};

/// A built-in driver: its name and factory.
struct DriverFactory {
  const char* name;
  std::unique_ptr<Driver> (*create)();
};

/// The drivers built into this library (runtime/drivers/init.cpp).
const std::vector<DriverFactory>& builtinDrivers();

/// The built-in driver `name`; NotFound lists those there are.
StatusOr<std::unique_ptr<Driver>> createDriver(const std::string& name);

/// Refuses option keys the driver does not read, naming the key and those it does.
Status checkDeviceOptions(const Driver& driver, const DeviceOptions& options);

/// A device name split: "cpu" is {"cpu", 0}, "opencl:1" is {"opencl", 1}.
struct DeviceName {
  std::string driver;
  int ordinal = 0;
};
StatusOr<DeviceName> parseDeviceName(const std::string& name);

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_DRIVER_H_
