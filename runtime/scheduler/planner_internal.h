// Pieces the planners share; not part of the scheduler's interface.
#ifndef HEXMOE_RUNTIME_SCHEDULER_PLANNER_INTERNAL_H_
#define HEXMOE_RUNTIME_SCHEDULER_PLANNER_INTERNAL_H_

#include <vector>

#include "runtime/scheduler/plan.h"
#include "runtime/scheduler/planner.h"

namespace hexmoe::scheduler::detail {

/// One layer's problem: its loads and how many replicas each device may add.
struct LayerProblem {
  const CostModel* cm = nullptr;
  const std::vector<double>* tokens = nullptr;  // expected copies per expert
  std::vector<int> caps;                        // replicas allowed per device
};

/// Sets expert e's shares so that its devices finish together (water-filling
/// on the other work already there); `state` must hold the current placement.
void balanceShares(const CostModel& cm, double tokens, ExpertReplicas* replicas, LayerLoad* state);

/// balanceShares for every expert with more than one replica.
void balanceAllShares(const CostModel& cm, const std::vector<double>& tokens, LayerPlacement* layer,
                      LayerLoad* state);

struct SearchLimits {
  int max_iterations = 0;       // 0: 4 x experts
  bool replicate = true;        // may add replicas (uses free slots)
  bool drop_replicas = true;    // may drop replicas of multi-replica experts
  bool swaps = true;
};

/// Local search against the cost model: move a replica off the bottleneck,
/// swap two, add or drop a replica; best improvement first. Respects caps.
void refineLayer(const LayerProblem& problem, const SearchLimits& limits, LayerPlacement* layer,
                 LayerLoad* state);

/// Removes zero-share replicas of experts that have another one.
void dropIdleReplicas(LayerPlacement* layer);

/// The capacity scheduler's refinement: local search with replication, shares
/// re-balanced, a second pass. Starts from any placement within the caps.
void polishLayer(const LayerProblem& problem, LayerPlacement* layer);

LayerPlacement planLayerCapacity(const LayerProblem& problem);
LayerPlacement planLayerRoundRobin(const LayerProblem& problem);

/// EPLB's device layout, decided once per plan.
struct EplbLayout {
  std::vector<int> devices;            // live devices, in pool order
  std::vector<std::vector<int>> slots; // [layer][device index in `devices`]
  bool equal_slots = true;             // false: memory forced per-device caps
  bool hierarchical = false;           // expert groups packed to nodes first
  int num_nodes = 1;
  int num_groups = 1;
  std::string note;
};
StatusOr<EplbLayout> eplbLayout(const CostModel& cm, const std::vector<std::vector<int>>& caps,
                                int redundant_per_device);
LayerPlacement planLayerEplb(const CostModel& cm, const std::vector<double>& tokens,
                             const EplbLayout& layout, int layer);

}  // namespace hexmoe::scheduler::detail

#endif  // HEXMOE_RUNTIME_SCHEDULER_PLANNER_INTERNAL_H_
