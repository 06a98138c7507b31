// Runtimes with several devices through the C API: opening them by name,
// driver options, device listings, modules loaded on each device, buffers
// that live on a device, copies between devices, and invocations on each.
#include <gtest/gtest.h>

#include "tests/unit/runtime/runtime_test_util.h"

namespace hexmoe::test {
namespace {

/// A runtime on `devices` with `driverOptions` (either may be null); the
/// Result says why there is none.
Result makeRuntimeOn(const char* devices, const char* driverOptions, RuntimePtr& out) {
  hexmoe_runtime_options_t options;
  hexmoe_runtime_options_init(&options);
  options.devices = devices;
  options.driver_options = driverOptions;
  hexmoe_runtime_t* runtime = nullptr;
  Result r = take(hexmoe_runtime_create(&options, &runtime));
  out.reset(runtime);
  return r;
}

hexmoe_device_info_t deviceInfo(const hexmoe_runtime_t* runtime, size_t index) {
  hexmoe_device_info_t info{};
  Result r = take(hexmoe_runtime_device_info(runtime, index, &info));
  EXPECT_TRUE(r.ok()) << r.message;
  return info;
}

TEST(Devices, TwoCpuDevicesWithTheirOwnThreads) {
  RuntimePtr rt;
  ASSERT_TRUE(makeRuntimeOn("cpu:0,cpu:1", "cpu.threads=1", rt).ok());
  ASSERT_EQ(hexmoe_runtime_device_count(rt.get()), 2u);
  EXPECT_STREQ(deviceInfo(rt.get(), 0).name, "cpu:0");
  EXPECT_STREQ(deviceInfo(rt.get(), 1).name, "cpu:1");
  EXPECT_STREQ(deviceInfo(rt.get(), 1).driver, "cpu");
  EXPECT_EQ(deviceInfo(rt.get(), 1).threads, 1);
  hexmoe_device_info_t info;
  EXPECT_EQ(take(hexmoe_runtime_device_info(rt.get(), 2, &info)).code, HEXMOE_STATUS_OUT_OF_RANGE);

  size_t index = 99;
  HEXMOE_EXPECT_OK(hexmoe_runtime_find_device(rt.get(), "cpu:1", &index));
  EXPECT_EQ(index, 1u);
  HEXMOE_EXPECT_OK(hexmoe_runtime_find_device(rt.get(), "cpu", &index));
  EXPECT_EQ(index, 0u);
  Result r = take(hexmoe_runtime_find_device(rt.get(), "cpu:7", &index));
  EXPECT_EQ(r.code, HEXMOE_STATUS_NOT_FOUND);
  EXPECT_EQ(r.message, "no device 'cpu:7' in this runtime (it has cpu:0, cpu:1)");
}

TEST(Devices, BadDeviceListsAndOptionsAreRefusedByName) {
  RuntimePtr rt;
  Result r = makeRuntimeOn("gpu:0", nullptr, rt);
  EXPECT_EQ(r.code, HEXMOE_STATUS_NOT_FOUND);
  EXPECT_EQ(r.message.rfind("no HAL driver named 'gpu' (built in: cpu", 0), 0u) << r.message;
  r = makeRuntimeOn("cpu:0,cpu:0", nullptr, rt);
  EXPECT_EQ(r.message, "device cpu:0 is listed twice");
  r = makeRuntimeOn("cpu,,cpu:1", nullptr, rt);
  EXPECT_EQ(r.message, "devices 'cpu,,cpu:1': an empty device name");
  r = makeRuntimeOn("cpu:x", nullptr, rt);
  EXPECT_EQ(r.message, "device 'cpu:x': 'x' is not a device number (0-1023)");
  r = makeRuntimeOn(nullptr, "cpu.speed=9", rt);
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "cpu driver: unknown option 'speed' (it takes threads, features, variant)");
  r = makeRuntimeOn(nullptr, "threads=2", rt);
  EXPECT_EQ(r.message, "driver option 'threads=2': expected driver.key=value (e.g. cpu.threads=2)");
  r = makeRuntimeOn(nullptr, "cpu.threads=lots", rt);
  EXPECT_EQ(r.message,
            "cpu:0: the cpu driver's threads option: 'lots' is not a thread count (1-4096; 0: every CPU)");
  r = makeRuntimeOn("cpu", "opencl.platform=0", rt);
  EXPECT_EQ(r.message, "options for driver 'opencl', which opens none of the devices");
}

TEST(Devices, ListingNeedsNoRuntime) {
  hexmoe_device_list_t* list = nullptr;
  HEXMOE_ASSERT_OK(hexmoe_device_list_create(&list));
  ASSERT_GE(hexmoe_device_list_count(list), 1u);
  EXPECT_STREQ(hexmoe_device_list_name(list, 0), "cpu:0");
  EXPECT_TRUE(contains(hexmoe_device_list_description(list, 0), "CPU"));
  EXPECT_EQ(hexmoe_device_list_name(list, 99), nullptr);
  EXPECT_EQ(hexmoe_device_list_unavailable(list, 99), nullptr);
  hexmoe_device_list_free(list);
  hexmoe_device_list_free(nullptr);
}

TEST(Devices, ModuleRunsOnEachDeviceWithTheSameResults) {
  RuntimePtr rt;
  ASSERT_TRUE(makeRuntimeOn("cpu:0,cpu:1", "cpu.threads=2", rt).ok());
  ModulePtr module;
  ASSERT_TRUE(loadModule(rt.get(), buildTestArtifact(), module).ok());
  EXPECT_EQ(hexmoe_module_default_device(module.get()), 0u);
  for (size_t d = 0; d < 2; ++d) {
    ASSERT_NE(hexmoe_module_executable_name(module.get(), d), nullptr);
    EXPECT_STREQ(hexmoe_module_executable_format(module.get(), d), "cpu-x86_64");
  }
  EXPECT_EQ(hexmoe_module_executable_name(module.get(), 2), nullptr);

  hexmoe_function_t* fn = lookup(module.get(), "add_scale");
  const std::vector<int64_t> shape = {5, 4};
  std::vector<float> a(20), b(20);
  for (int i = 0; i < 20; ++i) a[i] = static_cast<float>(i), b[i] = 0.5f * static_cast<float>(i);
  TensorPtr a0 = makeTensor(rt.get(), HEXMOE_F32, shape, a);
  hexmoe_tensor_t* rawB1 = nullptr;
  HEXMOE_ASSERT_OK(hexmoe_tensor_create_on_device(rt.get(), 1, HEXMOE_F32, 2, shape.data(), b.data(), &rawB1));
  TensorPtr b1(rawB1);
  EXPECT_EQ(hexmoe_tensor_device(a0.get()), 0u);
  EXPECT_EQ(hexmoe_tensor_device(b1.get()), 1u);

  // Copies between devices keep the contents and say where they live.
  hexmoe_tensor_t* rawA1 = nullptr;
  HEXMOE_ASSERT_OK(hexmoe_tensor_copy(a0.get(), 1, &rawA1));
  TensorPtr a1(rawA1);
  EXPECT_EQ(hexmoe_tensor_device(a1.get()), 1u);
  EXPECT_EQ(contents<float>(a1.get()), a);

  std::vector<float> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = 2.0f * (a[i] + b[i]);
  for (size_t d = 0; d < 2; ++d) {
    hexmoe_tensor_t* inputs[2] = {d == 0 ? a0.get() : a1.get(), b1.get()};
    hexmoe_tensor_t* outputs[1] = {nullptr};
    HEXMOE_ASSERT_OK(hexmoe_function_invoke_on_device(fn, d, inputs, 2, outputs, 1));
    TensorPtr out(outputs[0]);
    EXPECT_EQ(hexmoe_tensor_device(out.get()), d);
    EXPECT_EQ(contents<float>(out.get()), expected) << "on device " << d;
  }

  hexmoe_tensor_t* inputs[2] = {a0.get(), b1.get()};
  hexmoe_tensor_t* outputs[1] = {nullptr};
  Result r = take(hexmoe_function_invoke_on_device(fn, 5, inputs, 2, outputs, 1));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "test.hxm: device 5 of 2 (cpu:0, cpu:1)");
  hexmoe_tensor_t* copy = nullptr;
  EXPECT_EQ(take(hexmoe_tensor_copy(a0.get(), 9, &copy)).message, "device 9 of 2 (cpu:0, cpu:1)");
}

TEST(Devices, ADeviceThatRunsNoExecutableIsSkipped) {
  // cpu:0 is told the host lacks AVX2: a v3-only artifact loads on cpu:1 alone,
  // which becomes the module's default device.
  TestArtifactOptions v3only;
  v3only.variants = {{"x86-64-v3", {"avx", "avx2", "fma"}, 3}};
  RuntimePtr rt;
  ASSERT_TRUE(makeRuntimeOn("cpu:0,cpu:1", "cpu.threads=1;cpu:0.features=-avx2", rt).ok());
  ModulePtr module;
  Result r = loadModule(rt.get(), buildTestArtifact(v3only), module);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(hexmoe_module_default_device(module.get()), 1u);
  EXPECT_EQ(hexmoe_module_executable_name(module.get(), 0), nullptr);
  EXPECT_STREQ(hexmoe_module_executable_name(module.get(), 1), "x86-64-v3");
  EXPECT_EQ(variantTag(module.get()), 3);

  hexmoe_tensor_t* outputs[1] = {nullptr};
  r = take(hexmoe_function_invoke_on_device(lookup(module.get(), "variant"), 0, nullptr, 0, outputs, 1));
  EXPECT_EQ(r.code, HEXMOE_STATUS_FAILED_PRECONDITION);
  EXPECT_EQ(r.message, "test.hxm: not loaded on cpu:0 (none of its executables runs there)");

  // When no device runs it, each says why.
  ASSERT_TRUE(makeRuntimeOn("cpu:0,cpu:1", "cpu.features=-avx2", rt).ok());
  r = loadModule(rt.get(), buildTestArtifact(v3only), module);
  EXPECT_EQ(r.code, HEXMOE_STATUS_FAILED_PRECONDITION);
  EXPECT_EQ(r.message,
            "test.hxm: no device of this runtime runs it (cpu:0: test.hxm: no CPU variant runs on this host: "
            "x86-64-v3 needs avx2 (host lacks it) [host features from the cpu driver's features option '-avx2']; "
            "cpu:1: test.hxm: no CPU variant runs on this host: x86-64-v3 needs avx2 (host lacks it) [host "
            "features from the cpu driver's features option '-avx2'])");
  EXPECT_EQ(makeRuntimeOn("cpu:0", "cpu:3.threads=1", rt).message,
            "options for device 'cpu:3', which opens none of the devices");
}

}  // namespace
}  // namespace hexmoe::test
