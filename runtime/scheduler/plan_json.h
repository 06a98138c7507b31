// Plans as JSON: written by hexmoe-plan and the C API, read back for online
// re-planning. A plan file carries the pool, model and load it was made for,
// so it can be re-planned or replayed without the original inputs.
#ifndef HEXMOE_RUNTIME_SCHEDULER_PLAN_JSON_H_
#define HEXMOE_RUNTIME_SCHEDULER_PLAN_JSON_H_

#include <string>

#include "runtime/base/json_fields.h"
#include "runtime/scheduler/plan.h"

namespace hexmoe::scheduler {

Json planToJson(const Plan& plan);

/// Reads a plan; the predicted metrics are recomputed, not trusted.
StatusOr<Plan> parsePlan(const std::string& text, const std::string& source);
StatusOr<Plan> loadPlan(const std::string& path);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_PLAN_JSON_H_
