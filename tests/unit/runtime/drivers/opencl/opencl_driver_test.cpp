// The opencl driver at the HAL: buffers, copies to and from the CPU, binding
// rules and errors. Runs on OpenCL device 0 (PoCL where setup.sh installed
// it); skips, saying why, where none opens.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "runtime/core/hal/driver.h"

namespace hexmoe::hal {
namespace {

class OpenclDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<Driver>> driver = createDriver("opencl");
    ASSERT_TRUE(driver.ok()) << driver.status().message();
    driver_ = std::move(*driver);
    StatusOr<std::vector<DeviceListing>> listed = driver_->listDevices();
    if (!listed.ok()) GTEST_SKIP() << "no OpenCL here: " << listed.status().message();
    if (listed->empty()) GTEST_SKIP() << "no OpenCL device here (install pocl-opencl-icd)";
    StatusOr<std::unique_ptr<Device>> device = driver_->createDevice(0, DeviceOptions{});
    ASSERT_TRUE(device.ok()) << device.status().message();
    device_ = std::move(*device);
    StatusOr<std::unique_ptr<Driver>> cpu = createDriver("cpu");
    ASSERT_TRUE(cpu.ok());
    DeviceOptions options;
    options.values["threads"] = "1";
    StatusOr<std::unique_ptr<Device>> host = (*cpu)->createDevice(0, options);
    ASSERT_TRUE(host.ok()) << host.status().message();
    cpu_ = std::move(*host);
  }

  std::unique_ptr<Driver> driver_;
  std::unique_ptr<Device> device_;
  std::unique_ptr<Device> cpu_;
};

TEST_F(OpenclDriverTest, DeviceSaysWhatItIs) {
  EXPECT_EQ(device_->info().driver, "opencl");
  EXPECT_EQ(device_->info().name, "opencl:0");
  EXPECT_NE(device_->info().description.find("compute unit"), std::string::npos);
}

TEST_F(OpenclDriverTest, BuffersRoundTripAndCheckRanges) {
  StatusOr<std::unique_ptr<Buffer>> buffer = device_->allocateBuffer(1000);
  ASSERT_TRUE(buffer.ok()) << buffer.status().message();
  EXPECT_EQ((*buffer)->hostPointer(), nullptr);
  EXPECT_NE((*buffer)->deviceAddress(), nullptr);
  std::vector<uint8_t> in(1000), out(1000, 0);
  std::iota(in.begin(), in.end(), 0);
  ASSERT_TRUE((*buffer)->write(0, in.data(), in.size()).ok());
  ASSERT_TRUE((*buffer)->read(0, out.data(), out.size()).ok());
  EXPECT_EQ(in, out);
  std::vector<uint8_t> part(10);
  ASSERT_TRUE((*buffer)->read(990, part.data(), 10).ok());
  EXPECT_EQ(part[0], in[990]);
  EXPECT_EQ((*buffer)->read(991, part.data(), 10).code(), StatusCode::kOutOfRange);
  EXPECT_EQ((*buffer)->write(1001, in.data(), 0).code(), StatusCode::kOutOfRange);
  EXPECT_TRUE((*buffer)->write(1000, in.data(), 0).ok());
}

TEST_F(OpenclDriverTest, EmptyBuffersAreRealBuffers) {
  StatusOr<std::unique_ptr<Buffer>> buffer = device_->allocateBuffer(0);
  ASSERT_TRUE(buffer.ok()) << buffer.status().message();
  EXPECT_EQ((*buffer)->size(), 0u);
  EXPECT_NE((*buffer)->deviceAddress(), nullptr);
}

TEST_F(OpenclDriverTest, CopiesBetweenCpuAndOpenclAndWithinOpencl) {
  const size_t n = 4096;
  auto host = cpu_->allocateBuffer(n);
  auto a = device_->allocateBuffer(n);
  auto b = device_->allocateBuffer(n);
  auto back = cpu_->allocateBuffer(n);
  ASSERT_TRUE(host.ok() && a.ok() && b.ok() && back.ok());
  auto* p = static_cast<uint8_t*>((*host)->hostPointer());
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(copyBuffer(**host, 0, **a, 0, n).ok());
  ASSERT_TRUE(copyBuffer(**a, 100, **b, 0, n - 100).ok());  // device to device, through the host
  ASSERT_TRUE(copyBuffer(**b, 0, **back, 0, n - 100).ok());
  EXPECT_EQ(std::memcmp((*back)->hostPointer(), p + 100, n - 100), 0);
  EXPECT_EQ(copyBuffer(**a, 1, **b, 0, n).code(), StatusCode::kOutOfRange);
}

TEST_F(OpenclDriverTest, BindsOnlyItsOwnBuffers) {
  auto own = device_->allocateBuffer(64);
  auto host = cpu_->allocateBuffer(64);
  ASSERT_TRUE(own.ok() && host.ok());
  EXPECT_TRUE(device_->canBind(**own));
  EXPECT_FALSE(device_->canBind(**host));
  EXPECT_FALSE(cpu_->canBind(**own));
  // Another device's buffers (another context) are not bound either.
  StatusOr<std::unique_ptr<Device>> other = driver_->createDevice(0, DeviceOptions{});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE((*other)->canBind(**own));
}

TEST_F(OpenclDriverTest, HostMemoryIsNotUsedInPlace) {
  std::vector<float> data(16);
  StatusOr<std::unique_ptr<Buffer>> wrapped = device_->wrapHostMemory(data.data(), 64, nullptr);
  EXPECT_EQ(wrapped.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(wrapped.status().message().find("hexmoe_tensor_copy"), std::string::npos);
}

TEST_F(OpenclDriverTest, MissingDeviceIsNamed) {
  StatusOr<std::unique_ptr<Device>> device = driver_->createDevice(999, DeviceOptions{});
  EXPECT_EQ(device.status().code(), StatusCode::kNotFound);
  EXPECT_NE(device.status().message().find("opencl:999"), std::string::npos);
}

TEST_F(OpenclDriverTest, HugeAllocationIsResourceExhausted) {
  StatusOr<std::unique_ptr<Buffer>> buffer = device_->allocateBuffer(size_t{1} << 62);
  ASSERT_FALSE(buffer.ok());
  EXPECT_EQ(buffer.status().code(), StatusCode::kResourceExhausted) << buffer.status().message();
}

}  // namespace
}  // namespace hexmoe::hal
