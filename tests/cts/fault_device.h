// A HAL device with seeded fault injection, for the conformance suite and the
// executor's failover tests: it forwards every call to a real device and,
// at the calls its plan names, fails (an Unavailable error, as a lost GPU
// gives), hangs (answers only after a delay past any sensible timeout), or
// hands back a corrupted status (a code no driver uses, no message).
#ifndef HEXMOE_TESTS_CTS_FAULT_DEVICE_H_
#define HEXMOE_TESTS_CTS_FAULT_DEVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/core/hal/device.h"

namespace hexmoe::cts {

enum class FaultKind { kError, kHang, kCorruptStatus };

const char* faultKindName(FaultKind kind);

/// Which calls fail and how. Calls are counted across the device and its
/// queue, from 0: allocateBuffer, wrapHostMemory, loadExecutable, dispatch,
/// finish.
struct FaultPlan {
  struct Fault {
    int64_t call;
    FaultKind kind;
  };
  std::vector<Fault> faults;  // sorted by call, at most one per call
  int hangMs = 200;           // how long a hang lasts

  static FaultPlan none() { return {}; }
  static FaultPlan at(int64_t call, FaultKind kind = FaultKind::kError);
  /// `count` faults at distinct calls in [0, overCalls), of kinds drawn
  /// uniformly, from `seed`: the same seed gives the same plan.
  static FaultPlan seeded(uint64_t seed, int count, int64_t overCalls);
};

/// The status a corrupted call returns: a code outside StatusCode's values.
inline constexpr int kCorruptedStatusCode = 0x7E;

class FaultInjectingDevice final : public hal::Device {
 public:
  FaultInjectingDevice(std::unique_ptr<hal::Device> inner, FaultPlan plan);
  ~FaultInjectingDevice() override;

  const hal::DeviceInfo& info() const override { return info_; }
  StatusOr<std::unique_ptr<hal::Buffer>> allocateBuffer(size_t size) override;
  StatusOr<std::unique_ptr<hal::Buffer>> wrapHostMemory(void* data, size_t size,
                                                        std::function<void()> release) override;
  bool canBind(const hal::Buffer& buffer) const override { return inner_->canBind(buffer); }
  StatusOr<std::unique_ptr<hal::Executable>> loadExecutable(const schema::Artifact& artifact,
                                                            const std::string& what) override;
  hal::Queue& queue() override;

  /// Calls counted so far, and faults injected among them.
  int64_t calls() const { return calls_.load(); }
  int64_t faultsInjected() const { return injected_.load(); }

  /// OK, or the planned fault for the next call (`what` names it); counts
  /// the call. Hangs sleep, then return OK so the call goes through late.
  Status nextCall(const char* what);

 private:
  class FaultQueue;
  std::unique_ptr<hal::Device> inner_;
  FaultPlan plan_;
  hal::DeviceInfo info_;
  std::unique_ptr<FaultQueue> queue_;
  std::atomic<int64_t> calls_{0};
  std::atomic<int64_t> injected_{0};
};

}  // namespace hexmoe::cts

#endif  // HEXMOE_TESTS_CTS_FAULT_DEVICE_H_
