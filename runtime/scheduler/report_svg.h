// A one-page SVG picture of a plan: device utilisation per layer, expert
// load per layer, and which kind of device serves each expert.
#ifndef HEXMOE_RUNTIME_SCHEDULER_REPORT_SVG_H_
#define HEXMOE_RUNTIME_SCHEDULER_REPORT_SVG_H_

#include <string>
#include <utility>
#include <vector>

#include "runtime/scheduler/plan.h"

namespace hexmoe::scheduler {

struct ReportOptions {
  /// Other plans' predicted step times to print beside this one, e.g. EPLB.
  std::vector<std::pair<std::string, double>> comparisons;
};

std::string renderPlanSvg(const Plan& plan, const ReportOptions& options = {});

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_REPORT_SVG_H_
