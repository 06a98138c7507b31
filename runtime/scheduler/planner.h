// Planners: from a pool, a model and a load to a placement plan.
//
//   capacity     EPLB generalised to unequal devices and memory caps: greedy
//                placement by marginal cost, replication where it pays, token
//                shares solved for equal finish times, local search (moves,
//                swaps, added and dropped replicas) against the cost model.
//   eplb         DeepSeek's EPLB re-implemented from its description
//                (hierarchical: expert groups to nodes, replicate hot experts,
//                pack to GPUs; equal slots per device). The baseline.
//   round-robin  expert e on device e mod N. The naive baseline.
#ifndef HEXMOE_RUNTIME_SCHEDULER_PLANNER_H_
#define HEXMOE_RUNTIME_SCHEDULER_PLANNER_H_

#include <optional>
#include <string>
#include <vector>

#include "runtime/scheduler/plan.h"

namespace hexmoe::scheduler {

enum class Algorithm { kCapacity, kEplb, kRoundRobin };
const char* algorithmName(Algorithm algorithm);
std::optional<Algorithm> parseAlgorithm(const std::string& name);

struct PlannerOptions {
  Algorithm algorithm = Algorithm::kCapacity;
  /// EPLB's redundant physical experts per device (one by default, as
  /// DeepSeek's deployments add roughly one per GPU), memory permitting.
  int eplb_redundant_per_device = 1;
  bool compute_lower_bound = true;
  int threads = 1;  // layers are planned independently; >1 plans them in parallel
};

struct PlanRequest {
  Pool pool;
  ModelShape model;
  LoadProfile load;  // expected copies per expert per step, at options.tokens_per_step
  CostOptions cost;
  PlannerOptions planner;
  std::vector<int> attention_devices;  // empty: chosen by the cost model
};

StatusOr<Plan> makePlan(const PlanRequest& request);

/// Each device's whole-expert slots split evenly over the MoE layers, so
/// layers can be planned independently: caps[layer][device]. Fails when the
/// pool cannot hold one copy of every expert.
StatusOr<std::vector<std::vector<int>>> layerSlotCaps(const CostModel& cm, int layers);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_PLANNER_H_
