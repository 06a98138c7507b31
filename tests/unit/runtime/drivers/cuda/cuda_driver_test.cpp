// The cuda driver at the HAL without a GPU: libcuda.so.1 absent or the
// toolkit's stub is a clean Unavailable, and NVRTC (present with the CUDA
// toolkit) compiles a kernel of the driver's ABI to PTX and reports a compile
// error with its log. Where a CUDA device opens, its buffers round-trip.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "runtime/core/hal/driver.h"
#include "runtime/drivers/cuda/cuda_api.h"

namespace hexmoe::hal {
namespace {

TEST(CudaDriver, ListsDevicesOrSaysWhyNot) {
  StatusOr<std::unique_ptr<Driver>> driver = createDriver("cuda");
  ASSERT_TRUE(driver.ok()) << driver.status().message();
  EXPECT_EQ((*driver)->optionNames(), (std::vector<std::string>{"block_size", "nvrtc_options"}));
  StatusOr<std::vector<DeviceListing>> listed = (*driver)->listDevices();
  if (!listed.ok()) {
    // No driver here: the reason names the library.
    EXPECT_EQ(listed.status().code(), StatusCode::kUnavailable);
    const std::string& m = listed.status().message();
    EXPECT_TRUE(m.find("libcuda") != std::string::npos || m.find("stub") != std::string::npos) << m;
    StatusOr<std::unique_ptr<Device>> device = (*driver)->createDevice(0, DeviceOptions{});
    ASSERT_FALSE(device.ok());
    EXPECT_EQ(device.status().code(), StatusCode::kUnavailable);
    return;
  }
  for (size_t i = 0; i < listed->size(); ++i) EXPECT_EQ((*listed)[i].name, "cuda:" + std::to_string(i));
  if (listed->empty()) return;
  DeviceOptions bad;
  bad.values["block_size"] = "100";
  StatusOr<std::unique_ptr<Device>> refused = (*driver)->createDevice(0, bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("multiple of 32"), std::string::npos);
  StatusOr<std::unique_ptr<Device>> device = (*driver)->createDevice(0, DeviceOptions{});
  ASSERT_TRUE(device.ok()) << device.status().message();
  EXPECT_EQ((*device)->info().driver, "cuda");
  StatusOr<std::unique_ptr<Buffer>> buffer = (*device)->allocateBuffer(1000);
  ASSERT_TRUE(buffer.ok()) << buffer.status().message();
  EXPECT_EQ((*buffer)->hostPointer(), nullptr);
  std::vector<uint8_t> in(1000), out(1000, 0);
  std::iota(in.begin(), in.end(), 0);
  ASSERT_TRUE((*buffer)->write(0, in.data(), in.size()).ok());
  ASSERT_TRUE((*buffer)->read(0, out.data(), out.size()).ok());
  EXPECT_EQ(in, out);
  EXPECT_EQ((*buffer)->read(991, out.data(), 10).code(), StatusCode::kOutOfRange);
  EXPECT_TRUE((*device)->canBind(**buffer));
}

// A kernel of the driver's ABI: one pointer per binding, then dims.
constexpr const char* kScaleKernel =
    "extern \"C\" __global__ void scale(const float* __restrict__ x, float* __restrict__ y,\n"
    "                                   const long* __restrict__ dims) {\n"
    "  const long wg = (long)blockIdx.x * (long)blockDim.x + (long)threadIdx.x;\n"
    "  if (wg >= dims[0]) return;\n"
    "  y[wg] = fma(x[wg], 2.0f, exp(-x[wg]));\n"
    "}\n";

TEST(CudaDriver, NvrtcCompilesTheDriversAbiToPtx) {
  StatusOr<const cuda::Nvrtc*> nvrtc = cuda::loadNvrtc();
  if (!nvrtc.ok()) GTEST_SKIP() << "no NVRTC here: " << nvrtc.status().message();
  for (int arch : {80, 90}) {
    StatusOr<std::string> ptx = cuda::compileToPtx(kScaleKernel, arch, "", "scale.cu");
    ASSERT_TRUE(ptx.ok()) << ptx.status().message();
    EXPECT_NE(ptx->find(".entry scale("), std::string::npos) << *ptx;
    EXPECT_NE(ptx->find(".target sm_" + std::to_string(arch)), std::string::npos);
  }
}

TEST(CudaDriver, NvrtcErrorsCarryTheLog) {
  StatusOr<const cuda::Nvrtc*> nvrtc = cuda::loadNvrtc();
  if (!nvrtc.ok()) GTEST_SKIP() << "no NVRTC here: " << nvrtc.status().message();
  std::string broken = kScaleKernel;
  broken.replace(broken.find("fma("), 4, "fmz(");
  StatusOr<std::string> ptx = cuda::compileToPtx(broken, 90, "", "broken.cu");
  ASSERT_FALSE(ptx.ok());
  EXPECT_EQ(ptx.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ptx.status().message().find("broken.cu"), std::string::npos);
  EXPECT_NE(ptx.status().message().find("fmz"), std::string::npos) << ptx.status().message();
  StatusOr<std::string> badOption = cuda::compileToPtx(kScaleKernel, 90, "--no-such-option", "scale.cu");
  ASSERT_FALSE(badOption.ok());
  EXPECT_EQ(cuda::compileToPtx(kScaleKernel, 7, "", "scale.cu").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hexmoe::hal
