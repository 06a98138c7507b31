// Both example layers on device 0 of every built-in driver, through the C
// API, against the CPU driver's result (which the e2e tests check against a
// float64 reference): T in {1, 7, 64, 300}, relative L2 difference < 1e-5.
// The artifacts (HEXMOE_CTS_ARTIFACT_DIR) carry code for every target, so
// each device loads its own; a driver with no device here skips, saying why.
#include <gtest/gtest.h>

#include <hexmoe/hexmoe.h>

#include <cmath>
#include <cstdlib>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/core/hal/driver.h"

namespace {

struct Case {
  std::string driver, layer;
  int64_t tokens;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.driver << " " << c.layer << " T=" << c.tokens; }

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const hexmoe::hal::DriverFactory& d : hexmoe::hal::builtinDrivers())
    for (const char* layer : {"mixtral_layer", "deepseek_v3_layer"})
      for (int64_t t : {1, 7, 64, 300}) out.push_back({d.name, layer, t});
  return out;
}

std::string message(hexmoe_status_t s) {
  std::string m = s ? hexmoe_status_message(s) : "";
  hexmoe_status_free(s);
  return m;
}

class LayerCts : public ::testing::TestWithParam<Case> {};

TEST_P(LayerCts, MatchesTheCpuDriver) {
  const Case& c = GetParam();
  const char* dir = std::getenv("HEXMOE_CTS_ARTIFACT_DIR");
  ASSERT_TRUE(dir && *dir) << "HEXMOE_CTS_ARTIFACT_DIR names where the fixture compiled the layers";
  // The device under test: a CPU device of its own for the cpu driver.
  const std::string device = c.driver == "cpu" ? "cpu:1" : c.driver + ":0";
  hexmoe_runtime_options_t options;
  hexmoe_runtime_options_init(&options);
  const std::string devices = "cpu," + device;
  options.devices = devices.c_str();
  options.threads = 2;
  hexmoe_runtime_t* runtime = nullptr;
  hexmoe_status_t s = hexmoe_runtime_create(&options, &runtime);
  if (s && hexmoe_status_code(s) == HEXMOE_STATUS_UNAVAILABLE) GTEST_SKIP() << device << ": " << message(s);
  ASSERT_EQ(s, nullptr) << message(s);
  hexmoe_module_t* module = nullptr;
  const std::string path = std::string(dir) + "/" + c.layer + ".hxm";
  ASSERT_EQ(s = hexmoe_module_load_file(runtime, path.c_str(), &module), nullptr) << message(s);
  hexmoe_function_t* fn = hexmoe_module_function(module, 0);
  const size_t args = hexmoe_function_argument_count(fn);
  std::vector<hexmoe_tensor_t*> host(args), there(args);
  uint32_t state = 12345u + static_cast<uint32_t>(c.tokens);
  for (size_t a = 0; a < args; ++a) {
    hexmoe_tensor_info_t info;
    ASSERT_EQ(s = hexmoe_function_argument(fn, a, &info), nullptr) << message(s);
    std::vector<int64_t> shape(info.rank);
    size_t n = 1;
    for (size_t d = 0; d < info.rank; ++d) {
      const hexmoe_extent_t& e = info.extents[d];
      shape[d] = e.dim < 0 ? e.static_size : c.tokens * e.factor;
      n *= static_cast<size_t>(shape[d]);
    }
    // Activations of unit size; weights scaled by 1/sqrt(fan-in).
    const double scale = a == 0 ? 1.0 : 1.0 / std::sqrt(static_cast<double>(shape.back()));
    std::vector<float> data(n);
    for (float& v : data) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<float>(scale * ((state >> 8) / 16777216.0 * 2.0 - 1.0));
    }
    ASSERT_EQ(info.element_type, HEXMOE_F32) << info.name;
    ASSERT_EQ(s = hexmoe_tensor_create(runtime, HEXMOE_F32, info.rank, shape.data(), data.data(), &host[a]),
              nullptr)
        << message(s);
    ASSERT_EQ(s = hexmoe_tensor_copy(host[a], 1, &there[a]), nullptr) << message(s);
  }
  hexmoe_tensor_t* want = nullptr;
  hexmoe_tensor_t* got = nullptr;
  ASSERT_EQ(s = hexmoe_function_invoke_on_device(fn, 0, host.data(), args, &want, 1), nullptr) << message(s);
  ASSERT_EQ(s = hexmoe_function_invoke_on_device(fn, 1, there.data(), args, &got, 1), nullptr) << message(s);
  EXPECT_EQ(hexmoe_tensor_device(got), 1u);
  const size_t n = static_cast<size_t>(c.tokens) * 256;  // both layers: [T, 256]
  std::vector<float> a(n), b(n);
  ASSERT_EQ(s = hexmoe_tensor_read(want, a.data(), n * sizeof(float)), nullptr) << message(s);
  ASSERT_EQ(s = hexmoe_tensor_read(got, b.data(), n * sizeof(float)), nullptr) << message(s);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < n; ++i) {
    diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    norm += static_cast<double>(a[i]) * a[i];
  }
  EXPECT_GT(norm, 0.0);
  EXPECT_LT(std::sqrt(diff / norm), 1e-5) << device << " against cpu:0";
  for (size_t i = 0; i < args; ++i) {
    hexmoe_tensor_release(host[i]);
    hexmoe_tensor_release(there[i]);
  }
  hexmoe_tensor_release(want);
  hexmoe_tensor_release(got);
  hexmoe_module_release(module);
  hexmoe_runtime_destroy(runtime);
}

INSTANTIATE_TEST_SUITE_P(EveryDriver, LayerCts, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.driver + "_" + info.param.layer + "_T" +
                                  std::to_string(info.param.tokens);
                         });

}  // namespace
