// Replays a load trace through a plan: per step, each expert's recorded
// token copies are split over its replicas by their shares, and the cost
// model prices exactly what each device then does (an expert with no token
// in a step is not read). Optionally re-plans online every few steps from the
// recent history, under a migration budget.
#ifndef HEXMOE_RUNTIME_SCHEDULER_SIMULATOR_H_
#define HEXMOE_RUNTIME_SCHEDULER_SIMULATOR_H_

#include <vector>

#include "runtime/scheduler/online.h"
#include "runtime/scheduler/plan.h"

namespace hexmoe::scheduler {

struct SimulationOptions {
  int replan_every = 0;  // steps between online re-plans; 0 = never
  int window = 0;        // steps of history a re-plan sees; 0 = replan_every
  ReplanOptions replan;
};

struct StepRecord {
  double seconds = 0;
  double imbalance = 0;       // mean over layers of max / mean working-device load
  double migrated_bytes = 0;  // weights copied by a re-plan before this step
};

struct SimulationReport {
  std::vector<StepRecord> steps;
  double mean_seconds = 0;
  double p50_seconds = 0;
  double p99_seconds = 0;
  double max_seconds = 0;
  double mean_imbalance = 0;
  double tokens_per_second = 0;
  int replans = 0;
  int64_t migrations = 0;
  double migrated_bytes = 0;
  std::vector<double> memory_bytes;           // [device], final plan
  std::vector<double> memory_capacity_bytes;  // [device]
  Plan final_plan;
};

StatusOr<SimulationReport> simulate(const Plan& plan, const LoadTrace& trace,
                                    const SimulationOptions& options = {});

/// The time of one step of `trace` under `layers` (exact token counts).
double simulateStep(const CostModel& cm, const std::vector<LayerPlacement>& layers,
                    const LoadTrace& trace, int step, double* imbalance);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_SIMULATOR_H_
