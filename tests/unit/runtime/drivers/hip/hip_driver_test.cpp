// The hip driver at the HAL without a GPU: a missing HIP runtime, or one
// that sees no GPU, is a clean Unavailable, and hipRTC (which ROCm's
// libamdhip64 carries) compiles a kernel of the driver's ABI to an AMDGPU
// code object and reports a compile error with its log. Where a HIP device
// opens, its buffers round-trip.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "runtime/core/hal/driver.h"
#include "runtime/drivers/hip/hip_api.h"

namespace hexmoe::hal {
namespace {

TEST(HipDriver, ListsDevicesOrSaysWhyNot) {
  StatusOr<std::unique_ptr<Driver>> driver = createDriver("hip");
  ASSERT_TRUE(driver.ok()) << driver.status().message();
  EXPECT_EQ((*driver)->optionNames(), (std::vector<std::string>{"arch", "block_size", "hiprtc_options"}));
  StatusOr<std::vector<DeviceListing>> listed = (*driver)->listDevices();
  if (!listed.ok()) {
    EXPECT_EQ(listed.status().code(), StatusCode::kUnavailable);
    const std::string& m = listed.status().message();
    EXPECT_TRUE(m.find("libamdhip64") != std::string::npos || m.find("no AMD GPU") != std::string::npos) << m;
    StatusOr<std::unique_ptr<Device>> device = (*driver)->createDevice(0, DeviceOptions{});
    ASSERT_FALSE(device.ok());
    EXPECT_EQ(device.status().code(), StatusCode::kUnavailable);
    return;
  }
  if (listed->empty()) return;
  EXPECT_EQ((*listed)[0].name, "hip:0");
  StatusOr<std::unique_ptr<Device>> device = (*driver)->createDevice(0, DeviceOptions{});
  ASSERT_TRUE(device.ok()) << device.status().message();
  StatusOr<std::unique_ptr<Buffer>> buffer = (*device)->allocateBuffer(1000);
  ASSERT_TRUE(buffer.ok()) << buffer.status().message();
  std::vector<uint8_t> in(1000), out(1000, 0);
  std::iota(in.begin(), in.end(), 0);
  ASSERT_TRUE((*buffer)->write(0, in.data(), in.size()).ok());
  ASSERT_TRUE((*buffer)->read(0, out.data(), out.size()).ok());
  EXPECT_EQ(in, out);
  EXPECT_EQ((*buffer)->read(991, out.data(), 10).code(), StatusCode::kOutOfRange);
}

constexpr const char* kScaleKernel =
    "#if !defined(__HIPCC_RTC__)\n#include <hip/hip_runtime.h>\n#endif\n"
    "extern \"C\" __global__ void scale(const float* __restrict__ x, float* __restrict__ y,\n"
    "                                   const long* __restrict__ dims) {\n"
    "  const long wg = (long)blockIdx.x * (long)blockDim.x + (long)threadIdx.x;\n"
    "  if (wg >= dims[0]) return;\n"
    "  y[wg] = fma(x[wg], 2.0f, exp(-x[wg]));\n"
    "}\n";

TEST(HipDriver, HiprtcCompilesTheDriversAbiToCodeObjects) {
  StatusOr<const hip::Hiprtc*> rtc = hip::loadHiprtc();
  if (!rtc.ok()) GTEST_SKIP() << "no hipRTC here: " << rtc.status().message();
  for (const char* arch : {"gfx906", "gfx90a"}) {
    StatusOr<std::string> code = hip::compileToCodeObject(kScaleKernel, arch, "", "scale.hip");
    ASSERT_TRUE(code.ok()) << code.status().message();
    // An ELF for EM_AMDGPU (224) that names the kernel.
    ASSERT_GT(code->size(), 64u);
    EXPECT_EQ(code->compare(0, 4, "\x7f" "ELF"), 0);
    uint16_t machine = 0;
    std::memcpy(&machine, code->data() + 18, 2);
    EXPECT_EQ(machine, 224) << arch;
    EXPECT_NE(code->find("scale"), std::string::npos);
  }
}

TEST(HipDriver, HiprtcErrorsCarryTheLog) {
  StatusOr<const hip::Hiprtc*> rtc = hip::loadHiprtc();
  if (!rtc.ok()) GTEST_SKIP() << "no hipRTC here: " << rtc.status().message();
  std::string broken = kScaleKernel;
  broken.replace(broken.find("fma("), 4, "fmz(");
  StatusOr<std::string> code = hip::compileToCodeObject(broken, "gfx90a", "", "broken.hip");
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(code.status().message().find("broken.hip"), std::string::npos);
  EXPECT_NE(code.status().message().find("fmz"), std::string::npos) << code.status().message();
  EXPECT_EQ(hip::compileToCodeObject(kScaleKernel, "gfx90a; rm -rf", "", "scale.hip").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hexmoe::hal
