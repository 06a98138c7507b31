#include "runtime/scheduler/lower_bound.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

/// A random pool of 2..5 devices: classes, speeds, memory and links vary.
Pool randomPool(std::mt19937& rng) {
  std::uniform_int_distribution<int> count(2, 5), node(0, 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Json devices = Json::array();
  int n = count(rng);
  for (int i = 0; i < n; ++i) {
    bool cpu = unit(rng) < 0.3;
    Json d = {{"name", "d" + std::to_string(i)},
              {"class", cpu ? "cpu" : "gpu"},
              {"memory_gb", 0.06 + unit(rng) * 0.3},
              {"memory_bandwidth_gbps", cpu ? 50 + 300 * unit(rng) : 300 + 3000 * unit(rng)},
              {"tflops", {{"bf16", cpu ? 2 + 20 * unit(rng) : 50 + 900 * unit(rng)}}},
              {"node", node(rng)},
              {"launch_overhead_us", 10 * unit(rng)}};
    if (!cpu) d["host_link"] = {{"pcie_gen", 4 + static_cast<int>(2 * unit(rng))}, {"lanes", 16}};
    if (!cpu && unit(rng) < 0.5) {
      d["peer_link"] = {{"type", "nvlink"}, {"gbps", 50 + 400 * unit(rng)}};
      d["peer_group"] = "g";
    }
    devices.push_back(d);
  }
  // A roomy CPU so the model always fits.
  devices.push_back({{"name", "host"}, {"class", "cpu"}, {"memory_gb", 2}, {"memory_bandwidth_gbps", 200},
                     {"tflops", {{"bf16", 10}}}});
  return testing::poolFromJson(Json{{"devices", devices}, {"network_gbps", 10}}.dump());
}

/// A random memory-feasible placement with random replicas and shares.
std::vector<LayerPlacement> randomPlacement(const CostModel& cm, int layers, std::mt19937& rng) {
  std::vector<int64_t> room(cm.numDevices());
  for (int d = 0; d < cm.numDevices(); ++d) room[d] = cm.expertSlots(d);
  std::uniform_int_distribution<int> device(0, cm.numDevices() - 1), copies(1, 3);
  std::uniform_real_distribution<double> unit(0.05, 1.0);
  std::vector<LayerPlacement> out(layers);
  for (LayerPlacement& layer : out) {
    layer.experts.resize(cm.model().num_experts);
    for (ExpertReplicas& rs : layer.experts) {
      int want = copies(rng);
      for (int tries = 0; tries < 50 && static_cast<int>(rs.size()) < want; ++tries) {
        int d = device(rng);
        bool taken = false;
        for (const Replica& r : rs) taken = taken || r.device == d;
        if (taken || room[d] <= 0) continue;
        --room[d];
        rs.push_back({d, unit(rng)});
      }
      if (rs.empty()) {
        int host = cm.numDevices() - 1;
        --room[host];
        rs.push_back({host, 1.0});
      }
      double total = 0;
      for (const Replica& r : rs) total += r.share;
      for (Replica& r : rs) r.share /= total;
    }
  }
  return out;
}

TEST(LowerBoundTest, NoPlanIsBelowTheBound) {
  std::mt19937 rng(1234);
  ModelShape model = testing::tinyModel(12, 3);
  const char* loads[] = {"uniform", "lognormal:1", "zipf:1", "lognormal:2"};
  for (int trial = 0; trial < 24; ++trial) {
    Pool pool = randomPool(rng);
    Objective objective = trial % 2 ? Objective::kThroughput : Objective::kLatency;
    double tokens = trial % 3 == 0 ? 4 : trial % 3 == 1 ? 64 : 2048;
    PlanRequest r = testing::request(pool, model, loads[trial % 4], tokens, Algorithm::kCapacity, objective, trial);
    StatusOr<CostModel> cm = CostModel::build(pool, model, r.cost);
    ASSERT_TRUE(cm.ok()) << cm.status().message();
    double bound = lowerBound(*cm, r.load).seconds;
    ASSERT_GT(bound, 0);
    ASSERT_TRUE(std::isfinite(bound)) << poolToJson(pool).dump() << " load " << loads[trial % 4] << " tokens " << tokens;
    SCOPED_TRACE("trial " + std::to_string(trial));
    for (Algorithm algorithm : {Algorithm::kCapacity, Algorithm::kEplb, Algorithm::kRoundRobin}) {
      r.planner.algorithm = algorithm;
      StatusOr<Plan> p = makePlan(r);
      ASSERT_TRUE(p.ok()) << p.status().message();
      EXPECT_GE(p->metrics.step_seconds, bound * (1 - 1e-9)) << algorithmName(algorithm);
    }
    for (int k = 0; k < 20; ++k) {
      std::vector<LayerPlacement> placement = randomPlacement(*cm, model.numMoeLayers(), rng);
      ASSERT_TRUE(validatePlacement(*cm, placement).ok());
      EXPECT_GE(evaluatePlacement(*cm, r.load, placement).step_seconds, bound * (1 - 1e-9));
    }
  }
}

TEST(LowerBoundTest, TightOnAHomogeneousPool) {
  ModelShape model = testing::tinyModel(32);
  PlanRequest r = testing::request(testing::homogeneousPool(), model, "uniform", 64);
  Plan p = testing::plan(r);
  double bound = lowerBound(*costModelOf(p), p.load).seconds;
  EXPECT_LE(p.metrics.step_seconds, 1.05 * bound);
}

TEST(LowerBoundTest, MemoryPricesBind) {
  // GPUs too small for all experts: the bound must see that the CPU serves
  // some of them, i.e. be well above the bound of a pool with roomy GPUs.
  ModelShape model = testing::tinyModel(16);
  PlanRequest tight = testing::request(testing::mixedPool(), model, "lognormal:1");
  Pool roomy = testing::mixedPool();
  for (DeviceSpec& d : roomy.devices) d.memory_gb = d.device_class == DeviceClass::kGpu ? 1.0 : d.memory_gb;
  PlanRequest loose = testing::request(roomy, model, "lognormal:1");
  double tight_bound = lowerBound(*CostModel::build(tight.pool, model, tight.cost), tight.load).seconds;
  double loose_bound = lowerBound(*CostModel::build(loose.pool, model, loose.cost), loose.load).seconds;
  EXPECT_GT(tight_bound, 1.5 * loose_bound);
  Plan p = testing::plan(tight);
  EXPECT_LE(p.metrics.step_seconds, 1.10 * tight_bound);
}

}  // namespace
}  // namespace hexmoe::scheduler
