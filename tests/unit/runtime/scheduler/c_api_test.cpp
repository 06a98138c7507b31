// The scheduler through its C API, as a serving stack would call it.
#include "hexmoe/plan.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/runtime/scheduler/test_util.h"

namespace {

const char* kPool = R"({"devices": [
  {"name": "gpu", "count": 2, "class": "gpu", "memory_gb": 0.1, "memory_bandwidth_gbps": 1000,
   "tflops": {"bf16": 100}, "host_link": {"pcie_gen": 4, "lanes": 16}, "peer_link": {"type": "nvlink", "gbps": 100}},
  {"name": "cpu", "class": "cpu", "memory_gb": 1, "memory_bandwidth_gbps": 100, "tflops": {"bf16": 5}}]})";

std::string tinyModelJson() { return hexmoe::scheduler::modelToJson(hexmoe::scheduler::testing::tinyModel()).dump(); }

TEST(PlanCApiTest, CreateQueryReplanLoseFree) {
  hexmoe_plan_options options;
  hexmoe_plan_options_init(&options);
  options.tokens_per_step = 32;
  hexmoe_plan* plan = nullptr;
  char* error = nullptr;
  std::string model = tinyModelJson();
  ASSERT_EQ(hexmoe_plan_create(kPool, model.c_str(), "zipf:1", &options, &plan, &error), HEXMOE_STATUS_OK)
      << (error ? error : "");
  EXPECT_EQ(error, nullptr);

  int32_t layers = 0, experts = 0, devices = 0;
  ASSERT_EQ(hexmoe_plan_shape(plan, &layers, &experts, &devices), HEXMOE_STATUS_OK);
  EXPECT_EQ(layers, 4);
  EXPECT_EQ(experts, 16);
  EXPECT_EQ(devices, 3);
  int32_t first = -1;
  ASSERT_EQ(hexmoe_plan_moe_layer(plan, 0, &first), HEXMOE_STATUS_OK);
  EXPECT_EQ(first, 1);
  double seconds = 0, bound = 0;
  ASSERT_EQ(hexmoe_plan_step_seconds(plan, &seconds, &bound), HEXMOE_STATUS_OK);
  EXPECT_GT(seconds, 0);
  EXPECT_GT(bound, 0);
  EXPECT_GE(seconds, bound);
  for (int32_t l = 0; l < layers; ++l) {
    for (int32_t e = 0; e < experts; ++e) {
      int32_t ids[4];
      double shares[4];
      size_t count = 0;
      ASSERT_EQ(hexmoe_plan_replicas(plan, l, e, ids, shares, 4, &count), HEXMOE_STATUS_OK);
      ASSERT_GE(count, 1u);
      double total = 0;
      for (size_t i = 0; i < count && i < 4; ++i) total += shares[i];
      EXPECT_NEAR(total, 1.0, 1e-9);
    }
  }
  const char* name = nullptr;
  ASSERT_EQ(hexmoe_plan_device_name(plan, 2, &name), HEXMOE_STATUS_OK);
  EXPECT_STREQ(name, "cpu");

  char* json = nullptr;
  ASSERT_EQ(hexmoe_plan_to_json(plan, &json), HEXMOE_STATUS_OK);
  hexmoe_plan* copy = nullptr;
  ASSERT_EQ(hexmoe_plan_from_json(json, &copy, &error), HEXMOE_STATUS_OK) << (error ? error : "");
  hexmoe_plan_free_string(json);

  hexmoe_plan* moved = nullptr;
  ASSERT_EQ(hexmoe_plan_replan(copy, "lognormal:1", 1e8, 0.0, &moved, &error), HEXMOE_STATUS_OK)
      << (error ? error : "");
  hexmoe_plan* survived = nullptr;
  ASSERT_EQ(hexmoe_plan_without_device(moved, "gpu-1", &survived, &error), HEXMOE_STATUS_OK) << (error ? error : "");
  for (int32_t e = 0; e < experts; ++e) {
    int32_t ids[4];
    size_t count = 0;
    ASSERT_EQ(hexmoe_plan_replicas(survived, 0, e, ids, nullptr, 4, &count), HEXMOE_STATUS_OK);
    ASSERT_GE(count, 1u);
    for (size_t i = 0; i < count && i < 4; ++i) EXPECT_NE(ids[i], 1);
  }
  hexmoe_plan_free(survived);
  hexmoe_plan_free(moved);
  hexmoe_plan_free(copy);
  hexmoe_plan_free(plan);
}

TEST(PlanCApiTest, ErrorsComeBackAsStatusAndMessage) {
  hexmoe_plan* plan = nullptr;
  char* error = nullptr;
  std::string model = tinyModelJson();
  const char* bad_pool = R"({"devices": [{"preset": "h100", "memory_gb": -1}]})";
  EXPECT_EQ(hexmoe_plan_create(bad_pool, model.c_str(), "uniform", nullptr, &plan, &error),
            HEXMOE_STATUS_INVALID_ARGUMENT);
  ASSERT_NE(error, nullptr);
  EXPECT_STREQ(error, "pool: devices[0].memory_gb: expected a positive number, got -1");
  hexmoe_plan_free_string(error);
  error = nullptr;
  EXPECT_EQ(hexmoe_plan_create(kPool, model.c_str(), "gaussian", nullptr, &plan, &error),
            HEXMOE_STATUS_INVALID_ARGUMENT);
  hexmoe_plan_free_string(error);
  EXPECT_EQ(hexmoe_plan_create(nullptr, model.c_str(), "uniform", nullptr, &plan, nullptr),
            HEXMOE_STATUS_INVALID_ARGUMENT);
  hexmoe_plan_options options;
  hexmoe_plan_options_init(&options);
  options.algorithm = "magic";
  EXPECT_EQ(hexmoe_plan_create(kPool, model.c_str(), "uniform", &options, &plan, nullptr),
            HEXMOE_STATUS_INVALID_ARGUMENT);
  const char* tiny_pool = R"({"devices": [{"name": "g", "class": "gpu", "memory_gb": 0.05,
    "memory_bandwidth_gbps": 100, "tflops": {"bf16": 10}}]})";
  EXPECT_EQ(hexmoe_plan_create(tiny_pool, model.c_str(), "uniform", nullptr, &plan, nullptr),
            HEXMOE_STATUS_RESOURCE_EXHAUSTED);
  ASSERT_EQ(hexmoe_plan_create(kPool, model.c_str(), "uniform", nullptr, &plan, nullptr), HEXMOE_STATUS_OK);
  hexmoe_plan* none = nullptr;
  EXPECT_EQ(hexmoe_plan_without_device(plan, "tpu-0", &none, &error), HEXMOE_STATUS_NOT_FOUND);
  hexmoe_plan_free_string(error);
  EXPECT_EQ(hexmoe_plan_replicas(plan, 99, 0, nullptr, nullptr, 0, nullptr), HEXMOE_STATUS_INVALID_ARGUMENT);
  hexmoe_plan_free(plan);
  hexmoe_plan_free(nullptr);
}

TEST(PlanCApiTest, TracesAreLoadsToo) {
  std::string model = tinyModelJson();
  hexmoe::scheduler::LoadTrace trace = hexmoe::scheduler::sampleTrace(*hexmoe::scheduler::parseLoadSpec("zipf:1", 1),
                                                              hexmoe::scheduler::testing::tinyModel(), 16, 4);
  std::string text = hexmoe::scheduler::traceToJson(trace).dump();
  hexmoe_plan* plan = nullptr;
  char* error = nullptr;
  ASSERT_EQ(hexmoe_plan_create(kPool, model.c_str(), text.c_str(), nullptr, &plan, &error), HEXMOE_STATUS_OK)
      << (error ? error : "");
  hexmoe_plan_free(plan);
}

}  // namespace
