#include "runtime/scheduler/simulator.h"

#include <gtest/gtest.h>

#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

TEST(SimulatorTest, ReplayingTheExpectedLoadMatchesThePrediction) {
  // Every expert gets the same, large count each step: nothing is left
  // untouched, so the replay and the expected-load prediction agree to the
  // Poisson read term (1 - e^-16 of a read).
  ModelShape model = testing::tinyModel();
  Plan p = testing::plan(testing::request(testing::homogeneousPool(), model, "uniform", 128));
  LoadTrace trace;
  trace.tokens_per_step = 128;
  trace.num_steps = 3;
  trace.num_layers = model.numMoeLayers();
  trace.num_experts = model.num_experts;
  trace.counts.assign(3 * trace.num_layers * trace.num_experts, 16);
  StatusOr<SimulationReport> r = simulate(p, trace);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NEAR(r->mean_seconds, p.metrics.step_seconds, 1e-6 * p.metrics.step_seconds);
  EXPECT_EQ(r->steps.size(), 3u);
  EXPECT_EQ(r->replans, 0);
}

TEST(SimulatorTest, ReportsStepsImbalanceMemory) {
  ModelShape model = testing::tinyModel();
  SyntheticLoad load = *parseLoadSpec("zipf:1", 5);
  Plan p = testing::plan(testing::request(testing::mixedPool(), model, "zipf:1", 32, Algorithm::kCapacity,
                                          Objective::kLatency, 5));
  LoadTrace trace = sampleTrace(load, model, 32, 50);
  StatusOr<SimulationReport> r = simulate(p, trace);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps.size(), 50u);
  EXPECT_LE(r->p50_seconds, r->p99_seconds);
  EXPECT_LE(r->p99_seconds, r->max_seconds);
  EXPECT_GE(r->mean_imbalance, 1.0);
  EXPECT_EQ(r->memory_bytes.size(), static_cast<size_t>(p.pool.size()));
  for (size_t d = 0; d < r->memory_bytes.size(); ++d) EXPECT_LE(r->memory_bytes[d], r->memory_capacity_bytes[d] + 1);
  // EPLB replayed over the same steps is slower on this mixed pool.
  Plan eplb = testing::plan(testing::request(testing::mixedPool(), model, "zipf:1", 32, Algorithm::kEplb,
                                             Objective::kLatency, 5));
  EXPECT_LT(r->mean_seconds, simulate(eplb, trace)->mean_seconds);
}

TEST(SimulatorTest, OnlineReplanningFollowsDrift) {
  ModelShape model = testing::tinyModel();
  SyntheticLoad drift = *parseLoadSpec("drifting:1.5:0.1", 3);
  PlanRequest r = testing::request(testing::mixedPool(), model, "uniform", 64);
  r.load = expectedLoad(drift, model, 64);
  Plan p = testing::plan(r);
  LoadTrace trace = sampleTrace(drift, model, 64, 80);
  SimulationOptions online;
  online.replan_every = 10;
  online.replan.migration_budget_bytes = 4 * model.expertBytes();
  online.replan.hysteresis = 0;
  StatusOr<SimulationReport> fixed = simulate(p, trace);
  StatusOr<SimulationReport> moving = simulate(p, trace, online);
  ASSERT_TRUE(fixed.ok() && moving.ok());
  EXPECT_EQ(moving->replans, 7);
  EXPECT_LE(moving->migrated_bytes, 7 * online.replan.migration_budget_bytes + 1);
  EXPECT_GT(moving->migrations, 0);
  EXPECT_LT(moving->mean_seconds, fixed->mean_seconds);
  StatusOr<CostModel> cm = costModelOf(moving->final_plan);
  EXPECT_TRUE(validatePlacement(*cm, moving->final_plan.layers).ok());
}

TEST(SimulatorTest, MismatchedTracesAreRefused) {
  ModelShape model = testing::tinyModel();
  Plan p = testing::plan(testing::request(testing::mixedPool(), model));
  LoadTrace trace = sampleTrace(*parseLoadSpec("uniform", 1), testing::tinyModel(8), 64, 2);
  EXPECT_FALSE(simulate(p, trace).ok());
}

}  // namespace
}  // namespace hexmoe::scheduler
