// The runtime: one HAL device (the CPU, for now) that modules and buffers use.
#ifndef HEXMOE_RUNTIME_CORE_RUNTIME_H_
#define HEXMOE_RUNTIME_CORE_RUNTIME_H_

#include <memory>
#include <optional>

#include "runtime/core/hal/driver.h"
#include "runtime/core/logging.h"
#include "runtime/core/ref_counted.h"
#include "runtime/base/status.h"

namespace hexmoe {

struct RuntimeOptions {
  hal::DeviceOptions device;
  /// Set process-wide at creation when present.
  std::optional<LogLevel> logLevel;
};

class Runtime final : public RefCounted {
 public:
  static StatusOr<Ref<Runtime>> create(const RuntimeOptions& options);

  hal::Device& device() const { return *device_; }
  const hal::DeviceInfo& deviceInfo() const { return device_->info(); }

 private:
  Runtime() = default;
  ~Runtime() override = default;
  std::unique_ptr<hal::Driver> driver_;
  std::unique_ptr<hal::Device> device_;  // destroyed before its driver
};

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_RUNTIME_H_
