// Thread pool: spin-yield-sleep workers, generation-tagged workgroup claims.
#include "runtime/drivers/cpu/thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <system_error>

namespace hexmoe::hal::cpu {
namespace {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

/// An idle worker spins this long, then yields this long, then sleeps.
/// Spinning bridges the gap between the dispatches of one invocation;
/// yielding lets other threads of the process run when the machine has more
/// threads than cores.
constexpr auto kSpinTime = std::chrono::microseconds(50);
constexpr auto kYieldTime = std::chrono::microseconds(500);

/// Backs off in stages; returns false once it is time to sleep.
class Backoff {
 public:
  bool pause() {
    if ((++i_ & 63) == 0) elapsed_ = std::chrono::steady_clock::now() - start_;
    if (elapsed_ < kSpinTime) {
      cpuRelax();
      return true;
    }
    std::this_thread::yield();
    return elapsed_ < kSpinTime + kYieldTime;
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration elapsed_{0};
  uint32_t i_ = 0;
};

constexpr int kIndexBits = 40;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
constexpr uint64_t kClosed = kIndexMask;
constexpr int kParticipantBits = 16;
constexpr uint64_t kParticipantMask = (uint64_t{1} << kParticipantBits) - 1;

}  // namespace

int availableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

StatusOr<std::unique_ptr<ThreadPool>> ThreadPool::create(int threads) {
  if (threads < 1 || static_cast<uint64_t>(threads) > kParticipantMask)
    return invalidArgument("a thread pool takes 1 to " + std::to_string(kParticipantMask) + " threads, got " +
                           std::to_string(threads));
  std::unique_ptr<ThreadPool> pool(new ThreadPool());
  try {
    pool->workers_.reserve(threads - 1);
    for (int i = 0; i + 1 < threads; ++i) pool->workers_.emplace_back([p = pool.get(), i] { p->workerLoop(i); });
  } catch (const std::system_error& e) {
    // The destructor stops the workers that did start.
    return resourceExhausted("cannot start " + std::to_string(threads - 1) + " worker threads: " + e.what());
  }
  return pool;
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(sleepMutex_);
    stopping_.store(true);
    state_.fetch_add(uint64_t{1} << kParticipantBits);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::claimWorkgroups() {
  // Seqlock read: the job is copied after seeing an open claim word, and the
  // first successful compare-and-swap on that same word proves the copy
  // belongs to its generation (run() closes the word before rewriting job_).
  uint64_t claim = claim_.load(std::memory_order_acquire);
  if ((claim & kIndexMask) == kClosed) return;
  const uint64_t generation = claim & ~kIndexMask;
  const hexmoe_cpu_kernel_fn kernel = job_.kernel.load(std::memory_order_relaxed);
  void* const* bindings = job_.bindings.load(std::memory_order_relaxed);
  const int64_t* dims = job_.dims.load(std::memory_order_relaxed);
  const int64_t count = job_.count.load(std::memory_order_relaxed);
  const int64_t chunk = job_.chunk.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  for (;;) {
    if ((claim & ~kIndexMask) != generation) return;
    const int64_t begin = static_cast<int64_t>(claim & kIndexMask);
    if (begin >= count) return;
    if (!claim_.compare_exchange_weak(claim, claim + static_cast<uint64_t>(chunk), std::memory_order_acq_rel,
                                      std::memory_order_acquire))
      continue;
    const int64_t end = std::min(begin + chunk, count);
    for (int64_t id = begin; id < end; ++id) kernel(bindings, dims, id, count);
    done_.fetch_add(end - begin, std::memory_order_release);
    claim = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::run(hexmoe_cpu_kernel_fn kernel, void* const* bindings, const int64_t* dims,
                     int64_t count) {
  if (count <= 0) return;
  std::lock_guard<std::mutex> submit(submitMutex_);
  if (workers_.empty() || count == 1) {
    for (int64_t id = 0; id < count; ++id) kernel(bindings, dims, id, count);
    return;
  }
  const int64_t participants = std::min<int64_t>(static_cast<int64_t>(workers_.size()), count - 1);
  // Chunks of one workgroup balance best; very large counts take a few at a
  // time so the shared word stays cold.
  const int64_t chunk = std::max<int64_t>(1, count / ((participants + 1) * 64));

  // Close the claim word, write the job, open the word under a new generation.
  const uint64_t generation = ((claim_.load(std::memory_order_relaxed) >> kIndexBits) + 1) << kIndexBits;
  claim_.store(generation | kClosed, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  job_.kernel.store(kernel, std::memory_order_relaxed);
  job_.bindings.store(bindings, std::memory_order_relaxed);
  job_.dims.store(dims, std::memory_order_relaxed);
  job_.count.store(count, std::memory_order_relaxed);
  job_.chunk.store(chunk, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  claim_.store(generation, std::memory_order_release);

  // Tell idle workers. Sequentially consistent with the sleepers_ read: a
  // worker going to sleep increments sleepers_ and then re-reads state_, so
  // one of the two always sees the other.
  const uint64_t wakes = (state_.load(std::memory_order_relaxed) >> kParticipantBits) + 1;
  state_.store((wakes << kParticipantBits) | static_cast<uint64_t>(participants), std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(sleepMutex_);
    wake_.notify_all();
  }

  claimWorkgroups();
  Backoff backoff;
  while (done_.load(std::memory_order_acquire) < count) backoff.pause();
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t state;
    Backoff backoff;
    while (((state = state_.load(std::memory_order_acquire)) >> kParticipantBits) == seen) {
      if (backoff.pause()) continue;
      std::unique_lock<std::mutex> lock(sleepMutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(lock, [&] { return (state_.load(std::memory_order_seq_cst) >> kParticipantBits) != seen; });
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
      backoff = Backoff();
    }
    if (stopping_.load()) return;
    seen = state >> kParticipantBits;
    if (static_cast<uint64_t>(index) < (state & kParticipantMask)) claimWorkgroups();
  }
}

}  // namespace hexmoe::hal::cpu
