#include "runtime/scheduler/planner.h"

#include <gtest/gtest.h>

#include <numeric>

#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

using testing::plan;
using testing::request;

/// Every property a plan must have, whatever the algorithm.
void expectServedAndWithinMemory(const Plan& p) {
  StatusOr<CostModel> cm = costModelOf(p);
  ASSERT_TRUE(cm.ok()) << cm.status().message();
  EXPECT_TRUE(validatePlacement(*cm, p.layers).ok()) << validatePlacement(*cm, p.layers).message();
  EXPECT_TRUE(p.metrics.fits_memory);
  for (int d = 0; d < p.pool.size(); ++d) {
    EXPECT_LE(p.metrics.memory_bytes[d], p.metrics.memory_capacity_bytes[d] + 1) << p.pool.devices[d].name;
  }
}

TEST(PlannerTest, EveryAlgorithmServesEveryExpertWithinMemory) {
  ModelShape model = testing::tinyModel();
  for (Algorithm algorithm : {Algorithm::kCapacity, Algorithm::kEplb, Algorithm::kRoundRobin}) {
    for (const char* load : {"uniform", "lognormal:1", "zipf:1.5"}) {
      for (const Pool& pool : {testing::mixedPool(), testing::homogeneousPool()}) {
        Plan p = plan(request(pool, model, load, 64, algorithm));
        SCOPED_TRACE(std::string(algorithmName(algorithm)) + " " + load + " on " + pool.devices[0].name);
        expectServedAndWithinMemory(p);
        EXPECT_GT(p.metrics.step_seconds, 0);
      }
    }
  }
}

TEST(PlannerTest, CapacityBeatsEplbOnAMixedPool) {
  ModelShape model = testing::tinyModel();
  for (const char* load : {"lognormal:1", "zipf:1"}) {
    double capacity = plan(request(testing::mixedPool(), model, load)).metrics.step_seconds;
    double eplb = plan(request(testing::mixedPool(), model, load, 64, Algorithm::kEplb)).metrics.step_seconds;
    double rr = plan(request(testing::mixedPool(), model, load, 64, Algorithm::kRoundRobin)).metrics.step_seconds;
    EXPECT_LT(capacity, eplb) << load;
    EXPECT_LT(capacity, rr) << load;
  }
}

TEST(PlannerTest, MatchesEplbOnAHomogeneousPool) {
  ModelShape model = testing::tinyModel(32);
  for (const char* load : {"uniform", "lognormal:1", "zipf:1"}) {
    for (double tokens : {16.0, 512.0}) {
      double capacity = plan(request(testing::homogeneousPool(), model, load, tokens)).metrics.step_seconds;
      double eplb =
          plan(request(testing::homogeneousPool(), model, load, tokens, Algorithm::kEplb)).metrics.step_seconds;
      EXPECT_LE(capacity, 1.02 * eplb) << load << " " << tokens;
    }
  }
}

TEST(PlannerTest, HotExpertsGetReplicasWhenComputeBound) {
  ModelShape model = testing::tinyModel(32);
  Plan p = plan(request(testing::homogeneousPool(), model, "zipf:2", 8192, Algorithm::kCapacity,
                        Objective::kThroughput));
  int replicated = 0;
  for (const LayerPlacement& layer : p.layers) {
    for (const ExpertReplicas& rs : layer.experts) replicated += rs.size() > 1 ? 1 : 0;
  }
  EXPECT_GT(replicated, 0);
  expectServedAndWithinMemory(p);
}

TEST(PlannerTest, EplbUsesEqualSlotsWhenMemoryAllows) {
  ModelShape model = testing::tinyModel(16);
  Plan p = plan(request(testing::homogeneousPool(4), model, "lognormal:1", 64, Algorithm::kEplb));
  EXPECT_TRUE(p.notes.empty());
  // 16 experts on 4 devices plus one redundant slot each: at most 5 per device and layer.
  for (const LayerPlacement& layer : p.layers) {
    std::vector<int> count(4, 0);
    int total = 0;
    for (const ExpertReplicas& rs : layer.experts) {
      for (const Replica& r : rs) ++count[r.device];
      total += static_cast<int>(rs.size());
    }
    EXPECT_GE(total, 16);
    for (int c : count) EXPECT_LE(c, 5);
  }
  // A pool whose memory cannot take equal slots gets memory-capped slots, and says so.
  Plan capped = plan(request(testing::mixedPool(), model, "lognormal:1", 64, Algorithm::kEplb));
  ASSERT_EQ(capped.notes.size(), 1u);
  EXPECT_NE(capped.notes[0].find("capped per device by memory"), std::string::npos);
}

TEST(PlannerTest, EplbPacksGroupsToNodes) {
  ModelShape model = testing::tinyModel(16);  // 4 groups of 4
  Pool pool = testing::poolFromJson(R"({"devices": [
    {"name": "a", "count": 2, "node": 0, "class": "gpu", "memory_gb": 1, "memory_bandwidth_gbps": 1000, "tflops": {"bf16": 100}},
    {"name": "b", "count": 2, "node": 1, "class": "gpu", "memory_gb": 1, "memory_bandwidth_gbps": 1000, "tflops": {"bf16": 100}}]})");
  PlanRequest r = request(pool, model, "lognormal:1", 64, Algorithm::kEplb);
  r.planner.eplb_redundant_per_device = 0;
  Plan p = plan(r);
  // Without redundancy, each group of four experts lives on one node.
  for (const LayerPlacement& layer : p.layers) {
    for (int g = 0; g < 4; ++g) {
      int node = pool.devices[layer.experts[g * 4][0].device].node;
      for (int e = g * 4; e < g * 4 + 4; ++e) {
        ASSERT_EQ(layer.experts[e].size(), 1u);
        EXPECT_EQ(pool.devices[layer.experts[e][0].device].node, node);
      }
    }
  }
}

TEST(PlannerTest, SlotCapsSplitMemoryEvenlyOverLayers) {
  ModelShape model = testing::tinyModel(16, 7);
  StatusOr<CostModel> cm = CostModel::build(testing::mixedPool(), model, CostOptions{});
  ASSERT_TRUE(cm.ok());
  StatusOr<std::vector<std::vector<int>>> caps = layerSlotCaps(*cm, 7);
  ASSERT_TRUE(caps.ok());
  for (int d = 0; d < cm->numDevices(); ++d) {
    int64_t total = 0;
    for (const auto& layer : *caps) total += layer[d];
    EXPECT_EQ(total, std::min<int64_t>(cm->expertSlots(d), 16 * 7));
  }
  for (const auto& layer : *caps) EXPECT_GE(std::accumulate(layer.begin(), layer.end(), 0), 16);
}

TEST(PlannerTest, TooSmallPoolsAreRefusedWithNumbers) {
  ModelShape model = testing::tinyModel(64, 8);
  Pool pool = testing::poolFromJson(R"({"devices": [{"name": "g", "class": "gpu", "memory_gb": 0.2,
    "memory_bandwidth_gbps": 100, "tflops": {"bf16": 10}}]})");
  StatusOr<Plan> p = makePlan(request(pool, model));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(p.status().message().find("cannot hold one copy of every expert"), std::string::npos);
  EXPECT_NE(p.status().message().find("GB"), std::string::npos);
}

TEST(PlannerTest, DeterministicAndThreadIndependent) {
  ModelShape model = testing::tinyModel();
  PlanRequest r = request(testing::mixedPool(), model, "zipf:1");
  Plan a = plan(r);
  r.planner.threads = 3;
  Plan b = plan(r);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t l = 0; l < a.layers.size(); ++l) {
    for (size_t e = 0; e < a.layers[l].experts.size(); ++e) {
      ASSERT_EQ(a.layers[l].experts[e].size(), b.layers[l].experts[e].size());
      for (size_t i = 0; i < a.layers[l].experts[e].size(); ++i) {
        EXPECT_EQ(a.layers[l].experts[e][i].device, b.layers[l].experts[e][i].device);
        EXPECT_DOUBLE_EQ(a.layers[l].experts[e][i].share, b.layers[l].experts[e][i].share);
      }
    }
  }
  EXPECT_DOUBLE_EQ(a.metrics.step_seconds, b.metrics.step_seconds);
}

TEST(PlannerTest, BadLoadShapesAreRejected) {
  ModelShape model = testing::tinyModel();
  PlanRequest r = request(testing::mixedPool(), model);
  r.load.expert_tokens.pop_back();
  StatusOr<Plan> p = makePlan(r);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("MoE layers"), std::string::npos);
}

}  // namespace
}  // namespace hexmoe::scheduler
