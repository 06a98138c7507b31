#include "runtime/scheduler/simulator.h"

#include <algorithm>
#include <cmath>

namespace hexmoe::scheduler {

/// Splits `count` copies over replicas by share, largest remainders first,
/// so the parts are whole tokens that add up to the count.
static void splitTokens(uint32_t count, const ExpertReplicas& rs, std::vector<uint32_t>* out) {
  out->assign(rs.size(), 0);
  if (rs.size() == 1) {
    (*out)[0] = count;
    return;
  }
  uint32_t given = 0;
  std::vector<std::pair<double, size_t>> remainder;
  for (size_t i = 0; i < rs.size(); ++i) {
    double exact = count * rs[i].share;
    (*out)[i] = static_cast<uint32_t>(std::floor(exact));
    given += (*out)[i];
    remainder.emplace_back(exact - std::floor(exact), i);
  }
  std::sort(remainder.begin(), remainder.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t k = 0; given < count && k < remainder.size(); ++k, ++given) ++(*out)[remainder[k].second];
}

double simulateStep(const CostModel& cm, const std::vector<LayerPlacement>& layers, const LoadTrace& trace,
                    int step, double* imbalance) {
  int devices = cm.numDevices();
  std::vector<double> expert(devices), port(cm.numPorts());
  std::vector<int> hosted(devices);
  std::vector<uint32_t> parts;
  double total = cm.fixedSeconds(), imbalance_sum = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    std::fill(expert.begin(), expert.end(), 0.0);
    std::fill(port.begin(), port.end(), 0.0);
    std::fill(hosted.begin(), hosted.end(), 0);
    const uint32_t* counts = trace.at(step, static_cast<int>(l));
    for (size_t e = 0; e < layers[l].experts.size(); ++e) {
      const ExpertReplicas& rs = layers[l].experts[e];
      splitTokens(counts[e], rs, &parts);
      for (size_t i = 0; i < rs.size(); ++i) {
        int d = rs[i].device;
        ++hosted[d];
        expert[d] += cm.replicaSecondsForCount(d, parts[i]);
        for (const auto& [q, coefficient] : cm.portCoefficients(d)) port[q] += coefficient * parts[i];
      }
    }
    double device_max = 0, sum = 0, latency = 0;
    int working = 0;
    for (int d = 0; d < devices; ++d) {
      double t = cm.attentionSeconds(d) + expert[d] + (hosted[d] > 0 ? cm.launchSeconds(d) : 0.0);
      if (hosted[d] > 0) latency = std::max(latency, cm.exchangeLatency(d));
      if (t > 0) {
        device_max = std::max(device_max, t);
        sum += t;
        ++working;
      }
    }
    double port_max = port.empty() ? 0.0 : *std::max_element(port.begin(), port.end());
    total += cm.layerSeconds(device_max, port_max, latency);
    imbalance_sum += working > 0 && sum > 0 ? device_max / (sum / working) : 1.0;
  }
  if (imbalance != nullptr) *imbalance = layers.empty() ? 1.0 : imbalance_sum / layers.size();
  return total;
}

/// The cost model of `plan` at the trace's batch size (attention time and
/// exchange depend on it).
static StatusOr<CostModel> costModelFor(const Plan& plan, const LoadTrace& trace) {
  CostOptions options = plan.options;
  options.tokens_per_step = trace.tokens_per_step;
  return CostModel::build(plan.pool, plan.model, options, plan.attention_devices);
}

StatusOr<SimulationReport> simulate(const Plan& plan, const LoadTrace& trace, const SimulationOptions& options) {
  if (trace.num_layers != static_cast<int>(plan.layers.size()) || trace.num_experts != plan.model.num_experts) {
    return invalidArgument("the trace has " + std::to_string(trace.num_layers) + " layers x " +
                           std::to_string(trace.num_experts) + " experts, the plan " +
                           std::to_string(plan.layers.size()) + " x " + std::to_string(plan.model.num_experts));
  }
  if (trace.num_steps == 0) return invalidArgument("the trace has no steps");
  SimulationReport report;
  report.final_plan = plan;
  HEXMOE_ASSIGN_OR_RETURN(CostModel cm, costModelFor(plan, trace));
  int window = options.window > 0 ? options.window : options.replan_every;
  for (int s = 0; s < trace.num_steps; ++s) {
    StepRecord record;
    if (options.replan_every > 0 && s > 0 && s % options.replan_every == 0) {
      int first = std::max(0, s - window);
      HEXMOE_ASSIGN_OR_RETURN(Plan next, replan(report.final_plan, trace.mean(first, s - first), options.replan));
      for (const Migration& m : next.migrations) {
        record.migrated_bytes += m.bytes;
        report.migrations += m.bytes > 0 ? 1 : 0;
      }
      report.final_plan = std::move(next);
      ++report.replans;
      HEXMOE_ASSIGN_OR_RETURN(cm, costModelFor(report.final_plan, trace));
    }
    record.seconds = simulateStep(cm, report.final_plan.layers, trace, s, &record.imbalance);
    report.migrated_bytes += record.migrated_bytes;
    report.steps.push_back(record);
  }
  std::vector<double> times;
  double imbalance = 0;
  for (const StepRecord& r : report.steps) {
    times.push_back(r.seconds);
    imbalance += r.imbalance;
  }
  std::sort(times.begin(), times.end());
  auto quantile = [&](double q) {
    size_t index = static_cast<size_t>(std::ceil(q * times.size())) - 1;
    return times[std::min(index, times.size() - 1)];
  };
  for (double t : times) report.mean_seconds += t / times.size();
  report.p50_seconds = quantile(0.5);
  report.p99_seconds = quantile(0.99);
  report.max_seconds = times.back();
  report.mean_imbalance = imbalance / report.steps.size();
  report.tokens_per_second = trace.tokens_per_step / report.mean_seconds;
  PlanMetrics metrics = evaluatePlacement(cm, report.final_plan.load, report.final_plan.layers);
  report.memory_bytes = metrics.memory_bytes;
  report.memory_capacity_bytes = metrics.memory_capacity_bytes;
  return report;
}

}  // namespace hexmoe::scheduler
