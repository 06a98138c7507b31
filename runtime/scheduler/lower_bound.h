// A lower bound on the step time of any plan, so that a plan's quality is a
// number (its gap to the bound), not a guess.
//
// The bound is the Lagrangian dual of the fluid relaxation of placement:
// every expert's tokens may be split in any proportions over devices, each
// device's time is at least its share of the expert's roofline at full load
// (the chord of the concave read term: p(s n) >= s p(n)), memory holds at
// least the fractions of experts a device serves, and launch overheads and
// link latencies are dropped. For any device weights w_l in the simplex (per
// layer; with port weights), memory prices mu_d >= 0:
//
//   g = fixed + sum_l [ sum_d w_ld A_d
//                      + sum_e min_d ( w_ld c_d(n_le) + mu_d B + n_le sum_q v_lq k_qd ) ]
//       - sum_d mu_d slots_d B
//
// is at most the predicted step time of every memory-feasible plan (weak
// duality; derivation in docs/scheduler.md). To this the latency objective adds
// the least dispatch latency any device would cost. Whatever w and mu the search below
// ends at, the value is a valid bound; the search only makes it tighter.
#ifndef HEXMOE_RUNTIME_SCHEDULER_LOWER_BOUND_H_
#define HEXMOE_RUNTIME_SCHEDULER_LOWER_BOUND_H_

#include "runtime/scheduler/cost_model.h"
#include "runtime/scheduler/load.h"
#include "runtime/scheduler/plan.h"

namespace hexmoe::scheduler {

struct LowerBoundOptions {
  int rounds = 120;           // memory-price updates at most (stops earlier when stalled)
  int layer_iterations = 12;  // weight updates per layer and round
  /// A plan for the same inputs: its bottleneck devices and links seed the
  /// dual weights (complementary slackness), which makes the bound converge
  /// far faster where memory forces slow devices to work. Optional.
  const std::vector<LayerPlacement>* hint = nullptr;
};

struct LowerBound {
  double seconds = 0;
  double fixed_seconds = 0;
  int rounds = 0;
};

LowerBound lowerBound(const CostModel& cm, const LoadProfile& load, const LowerBoundOptions& options = {});

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_LOWER_BOUND_H_
