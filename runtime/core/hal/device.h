// HAL device: memory, executables and a queue for one compute device.
#ifndef HEXMOE_RUNTIME_CORE_HAL_DEVICE_H_
#define HEXMOE_RUNTIME_CORE_HAL_DEVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "runtime/base/status.h"
#include "runtime/core/hal/buffer.h"
#include "runtime/core/hal/executable.h"
#include "runtime/core/hal/queue.h"

namespace hexmoe::schema {
struct Artifact;
}

namespace hexmoe::hal {

struct DeviceInfo {
  std::string driver;       // "cpu"
  std::string name;         // "cpu:0"
  std::string description;  // for logs: model, threads, ...
  std::string features;     // comma-separated capabilities ("avx2,fma,...")
  int threads = 1;          // host threads that run its kernels (CPU devices)
};

class Device {
 public:
  virtual ~Device() = default;
  virtual const DeviceInfo& info() const = 0;

  /// Memory aligned to kBufferAlignment; its contents are undefined.
  virtual StatusOr<std::unique_ptr<Buffer>> allocateBuffer(size_t size) = 0;
  /// Uses caller memory in place; `release` runs when the buffer is destroyed.
  /// Fails with Unimplemented where the device cannot address host memory.
  virtual StatusOr<std::unique_ptr<Buffer>> wrapHostMemory(void* data, size_t size,
                                                           std::function<void()> release) = 0;
  /// Whether this device's kernels can bind `buffer` in place: its own
  /// buffers, and for devices that address host memory, any host-visible one.
  virtual bool canBind(const Buffer& buffer) const = 0;
  /// Picks the best executable of a verified artifact among the formats this
  /// device loads, and loads it. NotFound when the artifact has none of its
  /// formats; FailedPrecondition when none of them runs here (the message
  /// names what is missing). `what` names the artifact in errors.
  virtual StatusOr<std::unique_ptr<Executable>> loadExecutable(const schema::Artifact& artifact,
                                                               const std::string& what) = 0;
  virtual Queue& queue() = 0;
};

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_DEVICE_H_
