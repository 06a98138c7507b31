// The CPU queue: runs each dispatch on the thread pool as it is submitted.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_CPU_QUEUE_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_CPU_QUEUE_H_

#include "runtime/core/hal/queue.h"
#include "runtime/drivers/cpu/thread_pool.h"

namespace hexmoe::hal::cpu {

class CpuQueue final : public hal::Queue {
 public:
  explicit CpuQueue(ThreadPool& pool) : pool_(pool) {}
  /// Synchronous: returns after every workgroup has run.
  Status dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) override;
  Status finish() override { return okStatus(); }

 private:
  ThreadPool& pool_;
};

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_CPU_QUEUE_H_
