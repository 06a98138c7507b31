// The HAL conformance suite: the same tests on device 0 of every built-in
// driver and on the fault-injecting device (over the CPU, with no faults
// planned). A driver with no device here skips, saying why. Each driver's
// known exceptions are listed by name with a reason (kExceptions).
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "runtime/core/hal/driver.h"
#include "tests/cts/fault_device.h"

namespace hexmoe::cts {
namespace {

constexpr const char* kFaultDevice = "fault-cpu";

/// Tests a driver is known not to pass, as "driver/Test", with the reason;
/// they skip saying so. None today: every driver passes every test.
const std::vector<std::pair<std::string, std::string>> kExceptions = {};

std::vector<std::string> deviceKinds() {
  std::vector<std::string> kinds;
  for (const hal::DriverFactory& d : hal::builtinDrivers()) kinds.push_back(d.name);
  kinds.push_back(kFaultDevice);
  return kinds;
}

StatusOr<std::unique_ptr<hal::Device>> openCpu() {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<hal::Driver> cpu, hal::createDriver("cpu"));
  hal::DeviceOptions options;
  options.values["threads"] = "1";
  return cpu->createDevice(0, options);
}

class HalCts : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string kind = GetParam();
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (const auto& [name, reason] : kExceptions)
      if (name == kind + "/" + test.substr(0, test.find('/'))) GTEST_SKIP() << "known exception: " << reason;
    if (kind == kFaultDevice) {
      StatusOr<std::unique_ptr<hal::Device>> cpu = openCpu();
      ASSERT_TRUE(cpu.ok()) << cpu.status().message();
      device_ = std::make_unique<FaultInjectingDevice>(std::move(*cpu), FaultPlan::none());
    } else {
      StatusOr<std::unique_ptr<hal::Driver>> driver = hal::createDriver(kind);
      ASSERT_TRUE(driver.ok()) << driver.status().message();
      StatusOr<std::vector<hal::DeviceListing>> listed = (*driver)->listDevices();
      if (!listed.ok()) GTEST_SKIP() << kind << ": " << listed.status().message();
      if (listed->empty()) GTEST_SKIP() << kind << ": no device here";
      StatusOr<std::unique_ptr<hal::Device>> device = (*driver)->createDevice(0, hal::DeviceOptions{});
      ASSERT_TRUE(device.ok()) << device.status().message();
      device_ = std::move(*device);
    }
    StatusOr<std::unique_ptr<hal::Device>> host = openCpu();
    ASSERT_TRUE(host.ok()) << host.status().message();
    host_ = std::move(*host);
  }

  std::unique_ptr<hal::Buffer> allocate(size_t size) {
    StatusOr<std::unique_ptr<hal::Buffer>> b = device_->allocateBuffer(size);
    EXPECT_TRUE(b.ok()) << b.status().message();
    return b.ok() ? std::move(*b) : nullptr;
  }

  std::unique_ptr<hal::Device> device_;
  std::unique_ptr<hal::Device> host_;
};

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 31 + seed);
  return v;
}

TEST_P(HalCts, SaysWhatItIs) {
  EXPECT_FALSE(device_->info().name.empty());
  EXPECT_FALSE(device_->info().driver.empty());
  EXPECT_GE(device_->info().threads, 1);
}

TEST_P(HalCts, BuffersRoundTripAtEverySize) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{63}, size_t{4096}, size_t{1} << 20}) {
    std::unique_ptr<hal::Buffer> b = allocate(size);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->size(), size);
    const std::vector<uint8_t> in = pattern(size, 7);
    std::vector<uint8_t> out(size, 0);
    ASSERT_TRUE(b->write(0, in.data(), size).ok());
    ASSERT_TRUE(b->read(0, out.data(), size).ok());
    EXPECT_EQ(in, out) << size << " bytes";
  }
}

TEST_P(HalCts, PartialReadsAndWritesAndRanges) {
  std::unique_ptr<hal::Buffer> b = allocate(1000);
  ASSERT_TRUE(b);
  const std::vector<uint8_t> in = pattern(1000, 1);
  ASSERT_TRUE(b->write(0, in.data(), 1000).ok());
  const uint8_t patch[3] = {0xAA, 0xBB, 0xCC};
  ASSERT_TRUE(b->write(500, patch, 3).ok());
  std::vector<uint8_t> part(10);
  ASSERT_TRUE(b->read(498, part.data(), 10).ok());
  EXPECT_EQ(part[0], in[498]);
  EXPECT_EQ(part[2], 0xAA);
  EXPECT_EQ(part[4], 0xCC);
  EXPECT_EQ(part[5], in[503]);
  EXPECT_EQ(b->read(991, part.data(), 10).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(b->write(995, part.data(), 10).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(b->read(2000, part.data(), 0).code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(b->read(1000, part.data(), 0).ok());
}

TEST_P(HalCts, CopiesHostToDeviceToHost) {
  const std::vector<uint8_t> in = pattern(3000, 3);
  StatusOr<std::unique_ptr<hal::Buffer>> src = host_->allocateBuffer(3000);
  StatusOr<std::unique_ptr<hal::Buffer>> back = host_->allocateBuffer(3000);
  ASSERT_TRUE(src.ok() && back.ok());
  ASSERT_TRUE((*src)->write(0, in.data(), in.size()).ok());
  std::unique_ptr<hal::Buffer> d = allocate(3000);
  ASSERT_TRUE(d);
  ASSERT_TRUE(hal::copyBuffer(**src, 0, *d, 0, 3000).ok());
  ASSERT_TRUE(hal::copyBuffer(*d, 1000, **back, 0, 2000).ok());
  std::vector<uint8_t> out(2000);
  ASSERT_TRUE((*back)->read(0, out.data(), out.size()).ok());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), in.begin() + 1000));
  EXPECT_EQ(hal::copyBuffer(**src, 0, *d, 1, 3000).code(), StatusCode::kOutOfRange);
}

TEST_P(HalCts, CopiesDeviceToDevice) {
  const std::vector<uint8_t> in = pattern(5000, 5);
  std::unique_ptr<hal::Buffer> a = allocate(5000), b = allocate(5000);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->write(0, in.data(), in.size()).ok());
  ASSERT_TRUE(hal::copyBuffer(*a, 100, *b, 200, 4000).ok());
  std::vector<uint8_t> out(4000);
  ASSERT_TRUE(b->read(200, out.data(), out.size()).ok());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), in.begin() + 100));
}

TEST_P(HalCts, BindsItsOwnBuffers) {
  std::unique_ptr<hal::Buffer> b = allocate(64);
  ASSERT_TRUE(b);
  EXPECT_TRUE(device_->canBind(*b));
  EXPECT_NE(b->deviceAddress(), nullptr);
  // Host memory binds in place exactly where the device addresses it.
  StatusOr<std::unique_ptr<hal::Buffer>> h = host_->allocateBuffer(64);
  ASSERT_TRUE(h.ok());
  if (b->hostPointer() == nullptr) EXPECT_FALSE(device_->canBind(**h));
}

TEST_P(HalCts, WrapsHostMemoryOrRefusesByName) {
  alignas(64) static uint8_t memory[256];
  bool released = false;
  StatusOr<std::unique_ptr<hal::Buffer>> w =
      device_->wrapHostMemory(memory, sizeof memory, [&released] { released = true; });
  if (!w.ok()) {
    EXPECT_EQ(w.status().code(), StatusCode::kUnimplemented);
    EXPECT_NE(w.status().message().find(device_->info().name), std::string::npos) << w.status().message();
    return;
  }
  EXPECT_EQ((*w)->hostPointer(), memory);
  w->reset();
  EXPECT_TRUE(released);
}

TEST_P(HalCts, OutOfMemoryIsResourceExhausted) {
  StatusOr<std::unique_ptr<hal::Buffer>> huge = device_->allocateBuffer(size_t{1} << 50);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted) << huge.status().message();
}

TEST_P(HalCts, AnIdleQueueFinishes) {
  EXPECT_TRUE(device_->queue().finish().ok());
  EXPECT_TRUE(device_->queue().finish().ok());
}

INSTANTIATE_TEST_SUITE_P(EveryDriver, HalCts, ::testing::ValuesIn(deviceKinds()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace hexmoe::cts
