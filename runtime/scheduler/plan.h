// A placement plan: per MoE layer, each expert's replicas with their devices
// and token shares; where attention runs; what the cost model predicts.
#ifndef HEXMOE_RUNTIME_SCHEDULER_PLAN_H_
#define HEXMOE_RUNTIME_SCHEDULER_PLAN_H_

#include <string>
#include <vector>

#include "runtime/scheduler/cost_model.h"
#include "runtime/scheduler/load.h"
#include "runtime/scheduler/model.h"
#include "runtime/scheduler/pool.h"

namespace hexmoe::scheduler {

struct Replica {
  int device = 0;
  double share = 1.0;  // fraction of the expert's tokens this replica serves
};
using ExpertReplicas = std::vector<Replica>;

struct LayerPlacement {
  std::vector<ExpertReplicas> experts;  // [expert]
};

/// One weight movement made by online re-planning.
struct Migration {
  int layer = 0;  // MoE layer position (0 = first MoE layer)
  int expert = 0;
  int from_device = -1;  // -1: a new replica (copy), not a move
  int to_device = -1;    // -1: a replica dropped (no bytes moved)
  double bytes = 0;
};

struct PlanMetrics {
  double step_seconds = 0;
  double fixed_seconds = 0;  // dense layers and LM head
  std::vector<double> layer_seconds;                // [moe layer]
  std::vector<double> exchange_seconds;             // [moe layer]
  std::vector<std::vector<double>> device_seconds;  // [moe layer][device], attention included
  std::vector<double> memory_bytes;                 // [device]
  std::vector<double> memory_capacity_bytes;        // [device], usable after the reserve
  std::vector<int64_t> replicas;                    // [device], over all layers
  double mean_imbalance = 0;  // mean over layers of max / mean load of working devices
  bool fits_memory = true;
};

struct Plan {
  std::string algorithm;
  Pool pool;
  ModelShape model;
  CostOptions options;
  LoadProfile load;  // what it was planned for
  std::vector<int> attention_devices;
  std::vector<LayerPlacement> layers;  // [moe layer]
  PlanMetrics metrics;
  double lower_bound_seconds = 0;  // 0 when not computed
  std::vector<Migration> migrations;
  std::vector<std::string> notes;
};

/// Device and port times of one layer, kept up to date as replicas are
/// added, removed or given other token counts, so that planners can try a
/// move in O(devices + ports).
class LayerLoad {
 public:
  explicit LayerLoad(const CostModel& cm);

  void add(int d, double tokens);
  void remove(int d, double tokens);
  void setTokens(int d, double from, double to);
  /// Recomputes from scratch (floating-point drift after many updates).
  void reset(const LayerPlacement& layer, const std::vector<double>& expert_tokens);

  double device(int d) const;
  double experts(int d) const { return expert_[d]; }
  int count(int d) const { return count_[d]; }
  double port(int q) const { return port_[q]; }
  double deviceMax() const;
  double portMax() const;
  double latency() const;
  double objective() const;

 private:
  void addPorts(int d, double tokens);

  const CostModel* cm_;
  std::vector<double> expert_;
  std::vector<int> count_;
  std::vector<double> port_;
};

/// The cost model's prediction for a placement under `load`.
PlanMetrics evaluatePlacement(const CostModel& cm, const LoadProfile& load,
                              const std::vector<LayerPlacement>& layers);

/// Every expert has a replica on a live device, shares are non-negative and
/// sum to one, no device holds two replicas of an expert, memory fits.
Status validatePlacement(const CostModel& cm, const std::vector<LayerPlacement>& layers);

/// The cost model a plan was made with (rebuilt from the plan's inputs).
StatusOr<CostModel> costModelOf(const Plan& plan);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_PLAN_H_
