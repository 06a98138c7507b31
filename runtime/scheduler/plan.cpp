#include "runtime/scheduler/plan.h"

#include <algorithm>
#include <cmath>

namespace hexmoe::scheduler {

LayerLoad::LayerLoad(const CostModel& cm)
    : cm_(&cm), expert_(cm.numDevices(), 0.0), count_(cm.numDevices(), 0), port_(cm.numPorts(), 0.0) {}

void LayerLoad::addPorts(int d, double tokens) {
  for (const auto& [q, coefficient] : cm_->portCoefficients(d)) port_[q] += coefficient * tokens;
}

void LayerLoad::add(int d, double tokens) {
  expert_[d] += cm_->replicaSeconds(d, tokens);
  ++count_[d];
  addPorts(d, tokens);
}

void LayerLoad::remove(int d, double tokens) {
  expert_[d] -= cm_->replicaSeconds(d, tokens);
  --count_[d];
  if (count_[d] == 0) expert_[d] = 0;  // no drift on empty devices
  addPorts(d, -tokens);
}

void LayerLoad::setTokens(int d, double from, double to) {
  expert_[d] += cm_->replicaSeconds(d, to) - cm_->replicaSeconds(d, from);
  addPorts(d, to - from);
}

void LayerLoad::reset(const LayerPlacement& layer, const std::vector<double>& expert_tokens) {
  std::fill(expert_.begin(), expert_.end(), 0.0);
  std::fill(count_.begin(), count_.end(), 0);
  std::fill(port_.begin(), port_.end(), 0.0);
  for (size_t e = 0; e < layer.experts.size(); ++e) {
    for (const Replica& r : layer.experts[e]) add(r.device, r.share * expert_tokens[e]);
  }
}

double LayerLoad::device(int d) const {
  return cm_->attentionSeconds(d) + expert_[d] + (count_[d] > 0 ? cm_->launchSeconds(d) : 0.0);
}

double LayerLoad::deviceMax() const {
  double m = 0;
  for (int d = 0; d < static_cast<int>(expert_.size()); ++d) m = std::max(m, device(d));
  return m;
}

double LayerLoad::portMax() const {
  double m = 0;
  for (double p : port_) m = std::max(m, p);
  return m;
}

double LayerLoad::latency() const {
  double m = 0;
  for (int d = 0; d < static_cast<int>(count_.size()); ++d) {
    if (count_[d] > 0) m = std::max(m, cm_->exchangeLatency(d));
  }
  return m;
}

double LayerLoad::objective() const {
  return cm_->layerSeconds(deviceMax(), portMax(), latency());
}

PlanMetrics evaluatePlacement(const CostModel& cm, const LoadProfile& load,
                              const std::vector<LayerPlacement>& layers) {
  PlanMetrics m;
  int devices = cm.numDevices();
  m.fixed_seconds = cm.fixedSeconds();
  m.step_seconds = m.fixed_seconds;
  m.replicas.assign(devices, 0);
  LayerLoad state(cm);
  double imbalance_sum = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    state.reset(layers[l], load.expert_tokens[l]);
    double t = state.objective();
    m.layer_seconds.push_back(t);
    m.exchange_seconds.push_back(state.portMax() + (cm.options().objective == Objective::kLatency ? state.latency() : 0));
    m.step_seconds += t;
    std::vector<double> per_device(devices);
    double max_load = 0, sum = 0;
    int working = 0;
    for (int d = 0; d < devices; ++d) {
      per_device[d] = state.device(d);
      m.replicas[d] += state.count(d);
      if (per_device[d] > 0) {
        max_load = std::max(max_load, per_device[d]);
        sum += per_device[d];
        ++working;
      }
    }
    imbalance_sum += working > 0 && sum > 0 ? max_load / (sum / working) : 1.0;
    m.device_seconds.push_back(std::move(per_device));
  }
  m.mean_imbalance = layers.empty() ? 1.0 : imbalance_sum / layers.size();
  for (int d = 0; d < devices; ++d) {
    m.memory_bytes.push_back(cm.nonExpertBytes(d) + m.replicas[d] * cm.expertBytes());
    m.memory_capacity_bytes.push_back(cm.live(d) ? cm.pool().usableBytes(d) : 0.0);
    m.fits_memory = m.fits_memory && m.replicas[d] <= cm.expertSlots(d);
  }
  return m;
}

Status validatePlacement(const CostModel& cm, const std::vector<LayerPlacement>& layers) {
  const ModelShape& model = cm.model();
  if (static_cast<int>(layers.size()) != model.numMoeLayers()) {
    return invalidArgument("plan has " + std::to_string(layers.size()) + " MoE layers, the model " +
                           std::to_string(model.numMoeLayers()));
  }
  std::vector<int64_t> replicas(cm.numDevices(), 0);
  for (size_t l = 0; l < layers.size(); ++l) {
    if (static_cast<int>(layers[l].experts.size()) != model.num_experts) {
      return invalidArgument("plan layer " + std::to_string(l) + " has " +
                             std::to_string(layers[l].experts.size()) + " experts, the model " +
                             std::to_string(model.num_experts));
    }
    for (int e = 0; e < model.num_experts; ++e) {
      const ExpertReplicas& rs = layers[l].experts[e];
      std::string where = "layer " + std::to_string(l) + " expert " + std::to_string(e);
      if (rs.empty()) return invalidArgument(where + " has no replica");
      double total = 0;
      for (size_t i = 0; i < rs.size(); ++i) {
        int d = rs[i].device;
        if (d < 0 || d >= cm.numDevices()) return invalidArgument(where + " names a device out of range");
        if (!cm.live(d)) return invalidArgument(where + " has a replica on lost device " + cm.pool().devices[d].name);
        if (!(rs[i].share >= 0) || !std::isfinite(rs[i].share)) {
          return invalidArgument(where + " has a negative or non-finite share");
        }
        for (size_t j = 0; j < i; ++j) {
          if (rs[j].device == d) return invalidArgument(where + " has two replicas on " + cm.pool().devices[d].name);
        }
        total += rs[i].share;
        ++replicas[d];
      }
      if (std::fabs(total - 1.0) > 1e-6) {
        return invalidArgument(where + " has shares summing to " + std::to_string(total));
      }
    }
  }
  for (int d = 0; d < cm.numDevices(); ++d) {
    if (replicas[d] > cm.expertSlots(d)) {
      return resourceExhausted("device " + cm.pool().devices[d].name + " holds " + std::to_string(replicas[d]) +
                        " experts but has room for " + std::to_string(cm.expertSlots(d)));
    }
  }
  return okStatus();
}

StatusOr<CostModel> costModelOf(const Plan& plan) {
  return CostModel::build(plan.pool, plan.model, plan.options, plan.attention_devices);
}

}  // namespace hexmoe::scheduler
