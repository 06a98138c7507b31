// The CPU device: host memory, a thread pool, and the host's x86 features.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DEVICE_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DEVICE_H_

#include <memory>

#include "runtime/core/hal/device.h"
#include "runtime/core/hal/driver.h"
#include "runtime/drivers/cpu/cpu_executable.h"
#include "runtime/drivers/cpu/cpu_queue.h"
#include "runtime/drivers/cpu/thread_pool.h"

namespace hexmoe::hal::cpu {

class CpuDevice final : public hal::Device {
 public:
  /// Device cpu:`ordinal`. Reads the host's features (or the override: the
  /// `features` option, else HEXMOE_CPU_FEATURES), the forced variant
  /// (`variant`, else HEXMOE_CPU_VARIANT) and starts a thread pool of
  /// `threads` (else HEXMOE_THREADS, else every CPU).
  static StatusOr<std::unique_ptr<CpuDevice>> create(int ordinal, const hal::DeviceOptions& options);

  const hal::DeviceInfo& info() const override { return info_; }
  StatusOr<std::unique_ptr<hal::Buffer>> allocateBuffer(size_t size) override;
  StatusOr<std::unique_ptr<hal::Buffer>> wrapHostMemory(void* data, size_t size,
                                                        std::function<void()> release) override;
  bool canBind(const hal::Buffer& buffer) const override;
  StatusOr<std::unique_ptr<hal::Executable>> loadExecutable(const schema::Artifact& artifact,
                                                            const std::string& what) override;
  hal::Queue& queue() override { return *queue_; }

  const FeatureSet& hostFeatures() const { return policy_.hostFeatures; }

 private:
  CpuDevice() = default;
  hal::DeviceInfo info_;
  hal::HostAllocator allocator_;
  VariantPolicy policy_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<CpuQueue> queue_;
};

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_CPU_DEVICE_H_
