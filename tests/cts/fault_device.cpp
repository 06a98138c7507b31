// The fault-injecting device.
#include "tests/cts/fault_device.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "runtime/core/hal/queue.h"

namespace hexmoe::cts {

const char* faultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kError: return "error";
    case FaultKind::kHang: return "hang";
    case FaultKind::kCorruptStatus: return "corrupt-status";
  }
  return "?";
}

FaultPlan FaultPlan::at(int64_t call, FaultKind kind) {
  FaultPlan plan;
  plan.faults.push_back({call, kind});
  return plan;
}

FaultPlan FaultPlan::seeded(uint64_t seed, int count, int64_t overCalls) {
  FaultPlan plan;
  std::mt19937_64 rng(seed);
  count = static_cast<int>(std::min<int64_t>(count, overCalls));
  std::set<int64_t> calls;
  std::uniform_int_distribution<int64_t> call(0, overCalls - 1);
  while (static_cast<int>(calls.size()) < count) calls.insert(call(rng));
  std::uniform_int_distribution<int> kind(0, 2);
  for (int64_t c : calls) plan.faults.push_back({c, static_cast<FaultKind>(kind(rng))});
  return plan;
}

class FaultInjectingDevice::FaultQueue final : public hal::Queue {
 public:
  FaultQueue(FaultInjectingDevice& device, hal::Queue& inner) : device_(device), inner_(inner) {}
  Status dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) override {
    HEXMOE_RETURN_IF_ERROR(device_.nextCall("dispatch"));
    return inner_.dispatch(executable, kernel, args);
  }
  Status finish() override {
    HEXMOE_RETURN_IF_ERROR(device_.nextCall("finish"));
    return inner_.finish();
  }

 private:
  FaultInjectingDevice& device_;
  hal::Queue& inner_;
};

FaultInjectingDevice::FaultInjectingDevice(std::unique_ptr<hal::Device> inner, FaultPlan plan)
    : inner_(std::move(inner)), plan_(std::move(plan)), info_(inner_->info()) {
  std::sort(plan_.faults.begin(), plan_.faults.end(),
            [](const FaultPlan::Fault& a, const FaultPlan::Fault& b) { return a.call < b.call; });
  info_.name = "fault(" + info_.name + ")";
  info_.description += ", with " + std::to_string(plan_.faults.size()) + " planned faults";
  queue_ = std::make_unique<FaultQueue>(*this, inner_->queue());
}

FaultInjectingDevice::~FaultInjectingDevice() = default;

Status FaultInjectingDevice::nextCall(const char* what) {
  const int64_t call = calls_.fetch_add(1);
  auto it = std::lower_bound(plan_.faults.begin(), plan_.faults.end(), call,
                             [](const FaultPlan::Fault& f, int64_t c) { return f.call < c; });
  if (it == plan_.faults.end() || it->call != call) return okStatus();
  injected_.fetch_add(1);
  const std::string where = info_.name + ": " + what + " (call " + std::to_string(call) + ")";
  switch (it->kind) {
    case FaultKind::kError:
      return unavailable(where + ": injected device error");
    case FaultKind::kHang:
      std::this_thread::sleep_for(std::chrono::milliseconds(plan_.hangMs));
      return okStatus();
    case FaultKind::kCorruptStatus:
      return Status(static_cast<StatusCode>(kCorruptedStatusCode), "");
  }
  return okStatus();
}

StatusOr<std::unique_ptr<hal::Buffer>> FaultInjectingDevice::allocateBuffer(size_t size) {
  HEXMOE_RETURN_IF_ERROR(nextCall("allocateBuffer"));
  return inner_->allocateBuffer(size);
}

StatusOr<std::unique_ptr<hal::Buffer>> FaultInjectingDevice::wrapHostMemory(void* data, size_t size,
                                                                             std::function<void()> release) {
  HEXMOE_RETURN_IF_ERROR(nextCall("wrapHostMemory"));
  return inner_->wrapHostMemory(data, size, std::move(release));
}

StatusOr<std::unique_ptr<hal::Executable>> FaultInjectingDevice::loadExecutable(const schema::Artifact& artifact,
                                                                                const std::string& what) {
  HEXMOE_RETURN_IF_ERROR(nextCall("loadExecutable"));
  return inner_->loadExecutable(artifact, what);
}

hal::Queue& FaultInjectingDevice::queue() { return *queue_; }

}  // namespace hexmoe::cts
