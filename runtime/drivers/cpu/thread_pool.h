// The CPU driver's thread pool: persistent workers that run every workgroup
// of one kernel dispatch, the calling thread included.
//
// Workers spin briefly after each dispatch (so the back-to-back dispatches of
// one invocation start within microseconds), then yield the CPU for a while,
// then sleep on a condition variable. A dispatch of n workgroups involves at
// most n-1 workers. Workgroup ids are claimed from one atomic word, so uneven
// workgroups (experts with many tokens next to experts with few) keep every
// thread busy, and the caller waits only for claimed workgroups to finish:
// a worker the OS has descheduled never holds a dispatch up, since the
// calling thread claims whatever is left. run() allocates nothing.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_THREAD_POOL_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/schema/kernel_abi.h"

namespace hexmoe::hal::cpu {

class ThreadPool {
 public:
  /// Workgroup counts per dispatch stay below this (2^39).
  static constexpr int64_t kMaxWorkgroups = int64_t{1} << 39;

  /// `threads` counts the calling thread: 1 means no workers.
  static StatusOr<std::unique_ptr<ThreadPool>> create(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threadCount() const { return static_cast<int>(workers_.size()) + 1; }

  /// Calls kernel(bindings, dims, id, count) once for every id in [0, count),
  /// spread over the pool, and returns when all calls have returned. Calls
  /// from several threads take turns. count must be below kMaxWorkgroups.
  void run(hexmoe_cpu_kernel_fn kernel, void* const* bindings, const int64_t* dims, int64_t count);

 private:
  ThreadPool() = default;
  void workerLoop(int index);
  void claimWorkgroups();

  /// The current dispatch. Written only while claim_ is closed, read under
  /// the seqlock rule in claimWorkgroups(); atomics so that a late reader's
  /// discarded read is not a data race.
  struct Job {
    std::atomic<hexmoe_cpu_kernel_fn> kernel{nullptr};
    std::atomic<void* const*> bindings{nullptr};
    std::atomic<const int64_t*> dims{nullptr};
    std::atomic<int64_t> count{0};
    std::atomic<int64_t> chunk{1};
  };

  std::vector<std::thread> workers_;
  std::mutex submitMutex_;  // one dispatch at a time
  Job job_;
  // (generation << 40) | next workgroup id; the id kClosed while job_ is
  // being written. Claiming is a compare-and-swap on the whole word, so a
  // worker holding an older generation can never claim from a newer job.
  alignas(64) std::atomic<uint64_t> claim_{0};
  // Workgroups of the current dispatch that have finished.
  alignas(64) std::atomic<int64_t> done_{0};
  // (wake count << 16) | how many workers take part: what idle workers watch.
  alignas(64) std::atomic<uint64_t> state_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
  std::mutex sleepMutex_;
  std::condition_variable wake_;
};

/// CPUs this process may run on (its affinity mask), at least 1.
int availableCpus();

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_THREAD_POOL_H_
