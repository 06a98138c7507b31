// The runtime: the HAL devices that modules and tensors use, opened once.
#ifndef HEXMOE_RUNTIME_CORE_RUNTIME_H_
#define HEXMOE_RUNTIME_CORE_RUNTIME_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/core/hal/driver.h"
#include "runtime/core/logging.h"
#include "runtime/core/ref_counted.h"
#include "runtime/schema/artifact_signature.h"

namespace hexmoe {

struct RuntimeOptions {
  /// The devices to open, in order ("cpu", "cpu:1", "opencl:0"); empty: {"cpu"}.
  /// Device 0 is the default for tensors and invocations.
  std::vector<std::string> devices;
  /// Settings by driver name, given to each of that driver's devices
  /// ({"cpu": {{"threads", "2"}}}), or by device name for one device, on top
  /// of its driver's ({"cpu:1": {{"threads", "1"}}}). Unknown keys are
  /// refused by name.
  std::map<std::string, std::map<std::string, std::string>> driverOptions;
  hal::HostAllocator allocator;
  /// Set process-wide at creation when present.
  std::optional<LogLevel> logLevel;
  /// The trust policy: when not empty, a module loads only if signed by one
  /// of these keys, checked before any of it is parsed or mapped.
  std::vector<schema::PublicKey> trustedKeys;
};

class Runtime final : public RefCounted {
 public:
  static StatusOr<Ref<Runtime>> create(const RuntimeOptions& options);

  size_t deviceCount() const { return devices_.size(); }
  hal::Device& device(size_t index) const { return *devices_[index]; }
  /// The index of a device by name: "cpu:1", or "cpu" for the first of a driver.
  StatusOr<size_t> findDevice(const std::string& name) const;
  /// "cpu:0, cpu:1", for messages.
  std::string deviceNames() const;
  /// Empty: every artifact loads (its signature, if any, must still match).
  const std::vector<schema::PublicKey>& trustedKeys() const { return trustedKeys_; }

 private:
  Runtime() = default;
  ~Runtime() override = default;
  std::vector<std::unique_ptr<hal::Driver>> drivers_;
  std::vector<std::unique_ptr<hal::Device>> devices_;  // destroyed before their drivers
  std::vector<schema::PublicKey> trustedKeys_;
};

/// "KEY,KEY": public keys, each its 64 hex digits or a key file's path.
StatusOr<std::vector<schema::PublicKey>> parseTrustedKeys(const std::string& list);

/// "cpu:0,cpu:1" → {"cpu:0", "cpu:1"}; empty entries are refused.
StatusOr<std::vector<std::string>> splitDeviceList(const std::string& list);

/// Adds "driver.key=value" (or "device.key=value", e.g. "cpu:1.threads=1")
/// entries, separated by ';', to `out` ("cpu.threads=2;cpu.features=avx2,fma");
/// a later entry wins.
Status parseDriverOptions(const std::string& text,
                          std::map<std::string, std::map<std::string, std::string>>& out);

/// What every built-in driver can open on this machine, and for each driver
/// that can open nothing here, why (e.g. its library is missing).
struct DeviceInventory {
  std::vector<hal::DeviceListing> devices;
  std::vector<std::pair<std::string, std::string>> unavailable;  // driver, reason
};
DeviceInventory listAvailableDevices();

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_RUNTIME_H_
