// The fault-injecting device: faults land exactly at the planned calls, a
// seeded plan is the same for the same seed, hangs delay the call and let it
// through, and a corrupted status carries a code no driver uses.
#include <gtest/gtest.h>

#include <chrono>

#include "runtime/core/hal/driver.h"
#include "tests/cts/fault_device.h"

namespace hexmoe::cts {
namespace {

std::unique_ptr<FaultInjectingDevice> overCpu(FaultPlan plan) {
  StatusOr<std::unique_ptr<hal::Driver>> cpu = hal::createDriver("cpu");
  EXPECT_TRUE(cpu.ok());
  hal::DeviceOptions options;
  options.values["threads"] = "1";
  StatusOr<std::unique_ptr<hal::Device>> device = (*cpu)->createDevice(0, options);
  EXPECT_TRUE(device.ok()) << device.status().message();
  return std::make_unique<FaultInjectingDevice>(std::move(*device), std::move(plan));
}

TEST(FaultDevice, FailsExactlyAtThePlannedCall) {
  auto device = overCpu(FaultPlan::at(3));
  EXPECT_EQ(device->info().name, "fault(cpu:0)");
  for (int call = 0; call < 6; ++call) {
    StatusOr<std::unique_ptr<hal::Buffer>> b = device->allocateBuffer(64);
    if (call == 3) {
      ASSERT_FALSE(b.ok());
      EXPECT_EQ(b.status().code(), StatusCode::kUnavailable);
      EXPECT_NE(b.status().message().find("allocateBuffer (call 3): injected device error"), std::string::npos)
          << b.status().message();
    } else {
      EXPECT_TRUE(b.ok()) << call << ": " << b.status().message();
    }
  }
  EXPECT_EQ(device->calls(), 6);
  EXPECT_EQ(device->faultsInjected(), 1);
}

TEST(FaultDevice, CountsQueueCallsToo) {
  auto device = overCpu(FaultPlan::at(1));
  EXPECT_TRUE(device->queue().finish().ok());
  EXPECT_EQ(device->queue().finish().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(device->queue().finish().ok());
}

TEST(FaultDevice, SeededPlansRepeat) {
  const FaultPlan a = FaultPlan::seeded(42, 50, 1000), b = FaultPlan::seeded(42, 50, 1000);
  const FaultPlan c = FaultPlan::seeded(43, 50, 1000);
  ASSERT_EQ(a.faults.size(), 50u);
  bool same = true, differs = false;
  int kinds[3] = {0, 0, 0};
  for (size_t i = 0; i < a.faults.size(); ++i) {
    same &= a.faults[i].call == b.faults[i].call && a.faults[i].kind == b.faults[i].kind;
    differs |= a.faults[i].call != c.faults[i].call;
    EXPECT_LT(a.faults[i].call, 1000);
    if (i) EXPECT_LT(a.faults[i - 1].call, a.faults[i].call);
    ++kinds[static_cast<int>(a.faults[i].kind)];
  }
  EXPECT_TRUE(same);
  EXPECT_TRUE(differs);
  for (int k : kinds) EXPECT_GT(k, 0);
  // More faults than calls: every call faults once.
  EXPECT_EQ(FaultPlan::seeded(1, 10, 4).faults.size(), 4u);
}

TEST(FaultDevice, SeededFaultsAllLand) {
  FaultPlan plan = FaultPlan::seeded(7, 20, 200);
  plan.hangMs = 1;
  auto device = overCpu(plan);
  int failed = 0;
  for (int i = 0; i < 200; ++i) failed += !device->allocateBuffer(16).ok();
  int errors = 0;
  for (const FaultPlan::Fault& f : plan.faults) errors += f.kind != FaultKind::kHang;
  EXPECT_EQ(failed, errors);
  EXPECT_EQ(device->faultsInjected(), 20);
}

TEST(FaultDevice, HangsDelayAndLetTheCallThrough) {
  FaultPlan plan = FaultPlan::at(0, FaultKind::kHang);
  plan.hangMs = 150;
  auto device = overCpu(plan);
  const auto start = std::chrono::steady_clock::now();
  StatusOr<std::unique_ptr<hal::Buffer>> b = device->allocateBuffer(64);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(b.ok());
  EXPECT_GE(ms, 150.0);
}

TEST(FaultDevice, CorruptedStatusesCarryAnUnknownCode) {
  auto device = overCpu(FaultPlan::at(0, FaultKind::kCorruptStatus));
  Status s = device->queue().finish();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(static_cast<int>(s.code()), kCorruptedStatusCode);
  EXPECT_TRUE(s.message().empty());
  EXPECT_NE(statusCodeName(s.code()), nullptr);
}

}  // namespace
}  // namespace hexmoe::cts
