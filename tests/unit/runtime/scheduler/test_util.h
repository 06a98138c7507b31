// Small models and pools for the scheduler tests: big enough that memory
// binds and devices differ, small enough that every test runs in milliseconds.
#ifndef HEXMOE_TESTS_UNIT_SCHEDULER_TEST_UTIL_H_
#define HEXMOE_TESTS_UNIT_SCHEDULER_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>

#include "runtime/scheduler/load.h"
#include "runtime/scheduler/model.h"
#include "runtime/scheduler/planner.h"
#include "runtime/scheduler/pool.h"

namespace hexmoe::scheduler::testing {

inline std::string sourceDir() { return HEXMOE_SOURCE_DIR; }

/// 4 MoE layers (of 5) x 16 experts, top-2, 3.1 MB per bf16 expert.
inline ModelShape tinyModel(int experts = 16, int moe_layers = 4) {
  std::string layers;
  for (int i = 1; i <= moe_layers; ++i) layers += (i > 1 ? "," : "") + std::to_string(i);
  std::string text = R"({"format": "hexmoe-model", "name": "tiny", "num_layers": )" + std::to_string(moe_layers + 1) +
                     R"(, "moe_layers": [)" + layers + R"(], "num_experts": )" + std::to_string(experts) +
                     R"(, "top_k": 2, "hidden_size": 1024, "expert_intermediate_size": 512,
      "shared_intermediate_size": 512, "dense_intermediate_size": 2048, "vocab_size": 1000,
      "n_group": 4, "weight_dtype": "bf16", "attention_params_per_layer": 1000000,
      "kv_bytes_per_token_per_layer": 1024, "attention_flops_per_token_per_context": 8192})";
  StatusOr<ModelShape> model = parseModelConfig(text, "tiny");
  EXPECT_TRUE(model.ok()) << model.status().message();
  return *model;
}

inline Pool poolFromJson(const std::string& text) {
  StatusOr<Pool> pool = parsePool(text, "test-pool.json");
  EXPECT_TRUE(pool.ok()) << pool.status().message();
  return *pool;
}

/// Two small GPUs (one NVLink island) and a CPU socket: GPU memory cannot
/// hold every expert, so placement has to choose.
inline Pool mixedPool() {
  return poolFromJson(R"({"devices": [
    {"name": "gpu", "count": 2, "class": "gpu", "memory_gb": 0.1, "memory_bandwidth_gbps": 1000,
     "tflops": {"bf16": 100}, "host_link": {"pcie_gen": 4, "lanes": 16},
     "peer_link": {"type": "nvlink", "gbps": 100}},
    {"name": "cpu", "class": "cpu", "memory_gb": 1, "memory_bandwidth_gbps": 100, "tflops": {"bf16": 5}}
  ]})");
}

/// Four identical GPUs with room for everything.
inline Pool homogeneousPool(int count = 4) {
  return poolFromJson(R"({"devices": [
    {"name": "gpu", "count": )" + std::to_string(count) + R"(, "class": "gpu", "memory_gb": 1,
     "memory_bandwidth_gbps": 1000, "tflops": {"bf16": 100}, "host_link": {"pcie_gen": 4, "lanes": 16},
     "peer_link": {"type": "nvlink", "gbps": 100}}
  ]})");
}

inline PlanRequest request(const Pool& pool, const ModelShape& model, const std::string& load = "lognormal:1",
                           double tokens = 64, Algorithm algorithm = Algorithm::kCapacity,
                           Objective objective = Objective::kLatency, uint64_t seed = 42) {
  PlanRequest r;
  r.pool = pool;
  r.model = model;
  r.cost.tokens_per_step = tokens;
  r.cost.objective = objective;
  r.load = expectedLoad(*parseLoadSpec(load, seed), model, tokens);
  r.planner.algorithm = algorithm;
  r.planner.compute_lower_bound = false;
  return r;
}

inline Plan plan(const PlanRequest& r) {
  StatusOr<Plan> p = makePlan(r);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : Plan{};
}

}  // namespace hexmoe::scheduler::testing

#endif  // HEXMOE_TESTS_UNIT_SCHEDULER_TEST_UTIL_H_
