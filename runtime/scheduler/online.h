// Online re-planning: from a running plan to a better one for fresh load
// statistics, moving at most a budget of weight bytes; and after a device is
// lost, to a plan that still serves every expert.
#ifndef HEXMOE_RUNTIME_SCHEDULER_ONLINE_H_
#define HEXMOE_RUNTIME_SCHEDULER_ONLINE_H_

#include "runtime/scheduler/plan.h"

namespace hexmoe::scheduler {

struct ReplanOptions {
  /// Weight bytes that may be copied between devices in this re-plan.
  double migration_budget_bytes = 0;
  /// Weights move only if that improves the predicted step time by more than
  /// this fraction, so that noise in the statistics does not make experts
  /// travel back and forth. Token shares are re-balanced regardless: free.
  double hysteresis = 0.02;
  bool compute_lower_bound = false;
};

/// Re-plans `previous` for `load` (expected copies per expert per step).
/// The result lists the weight copies it needs in `migrations`.
StatusOr<Plan> replan(const Plan& previous, const LoadProfile& load, const ReplanOptions& options);

struct DeviceLossOptions {
  /// Local-search steps per changed layer once every expert has a home
  /// again: a fixed amount of work (not a time limit), so the result does
  /// not depend on how busy the machine is; sized to keep a DeepSeek-V3
  /// re-plan well under 100 ms.
  int refine_steps_per_layer = 4;
  bool compute_lower_bound = false;
};

/// The plan without `device`: its replicas are dropped, experts left with
/// none are placed again (dropping spare replicas elsewhere when memory is
/// short), attention moves if it ran there. Fails only when the remaining
/// devices cannot hold one copy of every expert.
StatusOr<Plan> replanWithoutDevice(const Plan& plan, int device, const DeviceLossOptions& options = {});

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_ONLINE_H_
