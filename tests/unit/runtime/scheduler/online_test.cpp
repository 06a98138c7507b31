#include "runtime/scheduler/online.h"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

void expectValid(const Plan& p) {
  StatusOr<CostModel> cm = costModelOf(p);
  ASSERT_TRUE(cm.ok()) << cm.status().message();
  Status status = validatePlacement(*cm, p.layers);
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(p.metrics.fits_memory);
}

std::vector<int> devicesOf(const Plan& p) {
  std::vector<int> out;
  for (const LayerPlacement& layer : p.layers) {
    for (const ExpertReplicas& rs : layer.experts) {
      for (const Replica& r : rs) out.push_back(r.device);
    }
  }
  return out;
}

TEST(ReplanTest, NoBudgetMovesNoWeights) {
  ModelShape model = testing::tinyModel();
  Plan before = testing::plan(testing::request(testing::mixedPool(), model, "lognormal:1"));
  LoadProfile fresh = expectedLoad(*parseLoadSpec("zipf:1", 9), model, 64);
  StatusOr<Plan> after = replan(before, fresh, ReplanOptions{});
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_TRUE(after->migrations.empty());
  EXPECT_EQ(devicesOf(*after), devicesOf(before));
  expectValid(*after);
}

TEST(ReplanTest, BudgetIsRespectedAndTheStepGetsFaster) {
  ModelShape model = testing::tinyModel();
  Plan before = testing::plan(testing::request(testing::mixedPool(), model, "lognormal:1"));
  LoadProfile fresh = expectedLoad(*parseLoadSpec("zipf:1", 9), model, 64);
  double shares_only = replan(before, fresh, ReplanOptions{})->metrics.step_seconds;
  for (double experts : {1.0, 4.0, 1000.0}) {
    ReplanOptions options;
    options.migration_budget_bytes = experts * model.expertBytes();
    options.hysteresis = 0;
    StatusOr<Plan> after = replan(before, fresh, options);
    ASSERT_TRUE(after.ok()) << after.status().message();
    double moved = 0;
    for (const Migration& m : after->migrations) moved += m.bytes;
    EXPECT_LE(moved, options.migration_budget_bytes + 1);
    EXPECT_LE(after->metrics.step_seconds, shares_only * (1 + 1e-12));
    expectValid(*after);
    if (experts >= 4) {
      EXPECT_LT(after->metrics.step_seconds, shares_only);
    }
  }
}

TEST(ReplanTest, HysteresisKeepsWeightsForSmallChanges) {
  ModelShape model = testing::tinyModel();
  Plan before = testing::plan(testing::request(testing::mixedPool(), model, "lognormal:1"));
  LoadProfile nudged = before.load;
  for (auto& layer : nudged.expert_tokens) layer[0] *= 1.01;
  ReplanOptions options;
  options.migration_budget_bytes = 1e12;
  options.hysteresis = 0.05;
  StatusOr<Plan> after = replan(before, nudged, options);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->migrations.empty());
  EXPECT_EQ(devicesOf(*after), devicesOf(before));
}

TEST(DeviceLossTest, EveryExpertKeepsAReplicaForEveryLostDevice) {
  ModelShape model = testing::tinyModel();
  for (const Pool& pool : {testing::mixedPool(), testing::homogeneousPool(4)}) {
    for (Algorithm algorithm : {Algorithm::kCapacity, Algorithm::kEplb}) {
      Plan before = testing::plan(testing::request(pool, model, "zipf:1", 64, algorithm));
      for (int lost = 0; lost < pool.size(); ++lost) {
        SCOPED_TRACE(pool.devices[lost].name + " lost, " + algorithmName(algorithm));
        StatusOr<Plan> after = replanWithoutDevice(before, lost);
        if (!after.ok()) {
          // Only when what is left cannot hold the model: the mixed pool's
          // GPUs alone are too small, so losing its CPU is fatal.
          EXPECT_EQ(after.status().code(), StatusCode::kFailedPrecondition) << after.status().message();
          EXPECT_EQ(pool.devices[lost].device_class, DeviceClass::kCpu);
          continue;
        }
        expectValid(*after);
        EXPECT_TRUE(after->pool.devices[lost].lost);
        for (int d : devicesOf(*after)) EXPECT_NE(d, lost);
        for (int a : after->attention_devices) EXPECT_NE(a, lost);
        EXPECT_FALSE(after->attention_devices.empty());
        // Losing a second device too still serves everything when memory allows.
        for (int second = 0; second < pool.size(); ++second) {
          if (second == lost) continue;
          StatusOr<Plan> twice = replanWithoutDevice(*after, second);
          if (twice.ok()) {
            expectValid(*twice);
          } else {
            EXPECT_EQ(twice.status().code(), StatusCode::kFailedPrecondition) << twice.status().message();
          }
        }
      }
    }
  }
}

/// Replicas per (layer, expert, device) added and removed from `a` to `b`,
/// counted independently of the planner's own diff.
std::pair<int, int> copiesAndDrops(const Plan& a, const Plan& b) {
  int copies = 0, drops = 0;
  for (size_t l = 0; l < b.layers.size(); ++l)
    for (size_t e = 0; e < b.layers[l].experts.size(); ++e) {
      std::set<int> before, after;
      for (const Replica& r : a.layers[l].experts[e]) before.insert(r.device);
      for (const Replica& r : b.layers[l].experts[e]) after.insert(r.device);
      for (int d : after) copies += !before.count(d);
      for (int d : before) drops += !after.count(d);
    }
  return {copies, drops};
}

void expectNetMigrations(const Plan& before, const Plan& after) {
  const auto [copies, drops] = copiesAndDrops(before, after);
  int listed_copies = 0, listed_drops = 0;
  std::set<std::tuple<int, int, int>> targets;
  for (const Migration& m : after.migrations) {
    if (m.to_device >= 0) {
      ++listed_copies;
      // Never two copies of one expert to one device: a hop undone or redone.
      EXPECT_TRUE(targets.insert({m.layer, m.expert, m.to_device}).second)
          << "layer " << m.layer << " expert " << m.expert << " copied twice to device " << m.to_device;
    }
    if (m.from_device >= 0) ++listed_drops;
  }
  EXPECT_EQ(listed_copies, copies);
  EXPECT_EQ(listed_drops, drops);
}

/// No expert keeps a second replica that serves under one token per step.
void expectNoThinReplicas(const Plan& p) {
  for (size_t l = 0; l < p.layers.size(); ++l)
    for (size_t e = 0; e < p.layers[l].experts.size(); ++e) {
      const ExpertReplicas& rs = p.layers[l].experts[e];
      if (rs.size() < 2) continue;
      for (const Replica& r : rs)
        EXPECT_GE(r.share * p.load.expert_tokens[l][e], 1.0 - 1e-9) << "layer " << l << " expert " << e;
    }
}

TEST(ReplanTest, MigrationsAreTheNetCopiesAndNoThinReplicasStay) {
  ModelShape model = testing::tinyModel();
  Plan before = testing::plan(testing::request(testing::mixedPool(), model, "lognormal:1"));
  LoadProfile fresh = expectedLoad(*parseLoadSpec("zipf:1", 9), model, 64);
  ReplanOptions options;
  options.migration_budget_bytes = 1000.0 * model.expertBytes();
  options.hysteresis = 0;
  StatusOr<Plan> after = replan(before, fresh, options);
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_FALSE(after->migrations.empty());
  expectNetMigrations(before, *after);
  expectNoThinReplicas(*after);
  expectValid(*after);
}

TEST(DeviceLossTest, MigrationsAreTheNetCopiesFromBeforeTheLoss) {
  ModelShape model = testing::tinyModel();
  for (const Pool& pool : {testing::mixedPool(), testing::homogeneousPool(4)}) {
    Plan before = testing::plan(testing::request(pool, model, "zipf:1", 64, Algorithm::kCapacity));
    for (int lost = 0; lost < pool.size(); ++lost) {
      SCOPED_TRACE(pool.devices[lost].name + " lost");
      StatusOr<Plan> after = replanWithoutDevice(before, lost);
      if (!after.ok()) continue;  // what is left cannot hold the model (checked above)
      expectNetMigrations(before, *after);
      expectNoThinReplicas(*after);
      // Every replica the lost device held is dropped or moved in the list.
      for (const Migration& m : after->migrations) EXPECT_NE(m.to_device, lost);
    }
  }
}

TEST(DeviceLossTest, DropsSpareReplicasWhenMemoryIsShort) {
  // Two GPUs that together hold exactly what the model needs, with spare
  // replicas from a compute-bound plan: losing one must drop replicas.
  ModelShape model = testing::tinyModel(8, 2);
  Pool pool = testing::homogeneousPool(3);
  for (DeviceSpec& d : pool.devices) d.memory_gb = 0.062;
  PlanRequest r = testing::request(pool, model, "zipf:2", 8192, Algorithm::kCapacity, Objective::kThroughput);
  StatusOr<Plan> before = makePlan(r);
  ASSERT_TRUE(before.ok()) << before.status().message();
  StatusOr<Plan> after = replanWithoutDevice(*before, 2);
  if (after.ok()) {
    expectValid(*after);
  } else {
    EXPECT_EQ(after.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(after.status().message().find("cannot hold one copy of every expert"), std::string::npos);
  }
}

TEST(DeviceLossTest, RefusesBadDevices) {
  ModelShape model = testing::tinyModel();
  Plan before = testing::plan(testing::request(testing::mixedPool(), model));
  EXPECT_FALSE(replanWithoutDevice(before, 7).ok());
  StatusOr<Plan> once = replanWithoutDevice(before, 0);
  ASSERT_TRUE(once.ok()) << once.status().message();
  EXPECT_FALSE(replanWithoutDevice(*once, 0).ok());
}

}  // namespace
}  // namespace hexmoe::scheduler
