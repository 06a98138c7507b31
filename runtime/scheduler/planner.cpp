#include "runtime/scheduler/planner.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <optional>
#include <thread>

#include "runtime/scheduler/lower_bound.h"
#include "runtime/scheduler/planner_internal.h"

namespace hexmoe::scheduler {

const char* algorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kCapacity: return "capacity";
    case Algorithm::kEplb: return "eplb";
    case Algorithm::kRoundRobin: return "round-robin";
  }
  return "?";
}

std::optional<Algorithm> parseAlgorithm(const std::string& name) {
  if (name == "capacity") return Algorithm::kCapacity;
  if (name == "eplb") return Algorithm::kEplb;
  if (name == "round-robin" || name == "roundrobin") return Algorithm::kRoundRobin;
  return std::nullopt;
}

StatusOr<std::vector<std::vector<int>>> layerSlotCaps(const CostModel& cm, int layers) {
  int devices = cm.numDevices();
  int experts = cm.model().num_experts;
  int64_t total = 0;
  for (int d = 0; d < devices; ++d) total += cm.expertSlots(d);
  if (total < static_cast<int64_t>(experts) * layers) {
    double need = static_cast<double>(experts) * layers * cm.expertBytes() / 1e9;
    double have = static_cast<double>(total) * cm.expertBytes() / 1e9;
    return resourceExhausted("the pool cannot hold one copy of every expert: " + std::to_string(layers) +
                      " layers x " + std::to_string(experts) + " experts need " +
                      std::to_string(need) + " GB, the devices have room for " + std::to_string(have) +
                      " GB after the reserve and the attention weights");
  }
  // A device's remainder slots are dealt to layers in turn, continuing where
  // the previous device stopped, so every layer ends up with its fair number.
  std::vector<std::vector<int>> caps(layers, std::vector<int>(devices, 0));
  int64_t dealt = 0;
  for (int d = 0; d < devices; ++d) {
    int64_t slots = cm.expertSlots(d);
    int64_t each = slots / layers, rest = slots % layers;
    for (int l = 0; l < layers; ++l) caps[l][d] = static_cast<int>(std::min<int64_t>(each, experts));
    for (int64_t k = 0; k < rest; ++k) {
      int l = static_cast<int>((dealt + k) % layers);
      caps[l][d] = std::min(caps[l][d] + 1, experts);
    }
    dealt += rest;
  }
  return caps;
}

/// Runs body(l) for every layer on `threads` threads.
static void forEachLayer(int layers, int threads, const std::function<void(int)>& body) {
  threads = std::max(1, std::min(threads, layers));
  if (threads == 1) {
    for (int l = 0; l < layers; ++l) body(l);
    return;
  }
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int l = next++; l < layers; l = next++) body(l);
    });
  }
  for (std::thread& t : pool) t.join();
}

StatusOr<Plan> makePlan(const PlanRequest& request) {
  HEXMOE_RETURN_IF_ERROR(checkProfile(request.load, request.model));
  CostOptions cost = request.cost;
  if (!(cost.tokens_per_step > 0)) cost.tokens_per_step = request.load.tokens_per_step;
  HEXMOE_ASSIGN_OR_RETURN(CostModel cm, CostModel::build(request.pool, request.model, cost,
                                                         request.attention_devices));
  LoadProfile load = request.load;
  if (load.tokens_per_step > 0 && std::fabs(load.tokens_per_step - cost.tokens_per_step) > 1e-9) {
    load = load.scaledTo(cost.tokens_per_step);
  }
  int layers = request.model.numMoeLayers();
  HEXMOE_ASSIGN_OR_RETURN(auto caps, layerSlotCaps(cm, layers));

  Plan plan;
  plan.algorithm = algorithmName(request.planner.algorithm);
  plan.pool = request.pool;
  plan.model = request.model;
  plan.options = cost;
  plan.load = load;
  plan.attention_devices = cm.attentionDevices();
  plan.layers.resize(layers);

  switch (request.planner.algorithm) {
    case Algorithm::kCapacity: {
      // On a pool of identical devices, EPLB's layout is a second start per
      // layer, refined like the greedy one; the better is kept, so the scheduler
      // never does worse than the baseline it generalises where that baseline
      // is at home. On mixed pools EPLB's layout is far off (and slow to
      // repair), so it is not tried there.
      std::optional<detail::EplbLayout> layout;
      bool identical = true;
      for (int d = 0; d < cm.numDevices(); ++d) {
        identical = identical && (!cm.live(d) || (cm.bytesPerSecond(d) == cm.bytesPerSecond(0) &&
                                                  cm.flopsPerSecond(d) == cm.flopsPerSecond(0)));
      }
      StatusOr<detail::EplbLayout> built = detail::eplbLayout(cm, caps, request.planner.eplb_redundant_per_device);
      if (identical && built.ok() && built->equal_slots) layout = std::move(built).value();
      forEachLayer(layers, request.planner.threads, [&](int l) {
        detail::LayerProblem problem{&cm, &load.expert_tokens[l], caps[l]};
        plan.layers[l] = detail::planLayerCapacity(problem);
        if (!layout) return;
        LayerPlacement start = detail::planLayerEplb(cm, load.expert_tokens[l], *layout, l);
        std::vector<int> used(cm.numDevices(), 0);
        for (const ExpertReplicas& rs : start.experts) {
          for (const Replica& r : rs) ++used[r.device];
        }
        for (int d = 0; d < cm.numDevices(); ++d) {
          if (used[d] > caps[l][d]) return;  // EPLB's equal slots exceed this layer's share of memory
        }
        detail::polishLayer(problem, &start);
        LayerLoad a(cm), b(cm);
        a.reset(plan.layers[l], load.expert_tokens[l]);
        b.reset(start, load.expert_tokens[l]);
        if (b.objective() < a.objective()) plan.layers[l] = std::move(start);
      });
      break;
    }
    case Algorithm::kRoundRobin:
      forEachLayer(layers, request.planner.threads, [&](int l) {
        detail::LayerProblem problem{&cm, &load.expert_tokens[l], caps[l]};
        plan.layers[l] = detail::planLayerRoundRobin(problem);
      });
      break;
    case Algorithm::kEplb: {
      HEXMOE_ASSIGN_OR_RETURN(
          detail::EplbLayout layout,
          detail::eplbLayout(cm, caps, request.planner.eplb_redundant_per_device));
      if (!layout.note.empty()) plan.notes.push_back(layout.note);
      forEachLayer(layers, request.planner.threads, [&](int l) {
        plan.layers[l] = detail::planLayerEplb(cm, load.expert_tokens[l], layout, l);
      });
      break;
    }
  }
  HEXMOE_RETURN_IF_ERROR(validatePlacement(cm, plan.layers));
  plan.metrics = evaluatePlacement(cm, load, plan.layers);
  if (request.planner.compute_lower_bound) {
    LowerBoundOptions options;
    options.hint = &plan.layers;
    plan.lower_bound_seconds = lowerBound(cm, load, options).seconds;
  }
  return plan;
}

}  // namespace hexmoe::scheduler
