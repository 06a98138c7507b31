// The capacity-weighted planner: EPLB's replicate-and-pack idea, but with
// each device's own speed, memory and links priced by the cost model.
#include <algorithm>
#include <numeric>

#include "runtime/scheduler/planner_internal.h"

namespace hexmoe::scheduler::detail {

/// Greedy placement: experts hottest first, each onto the device where the
/// layer's time grows least, within the caps.
static void placeGreedy(const LayerProblem& problem, LayerPlacement* layer, LayerLoad* state) {
  const CostModel& cm = *problem.cm;
  const std::vector<double>& tokens = *problem.tokens;
  int experts = static_cast<int>(tokens.size());
  std::vector<int> order(experts);
  std::iota(order.begin(), order.end(), 0);
  // Ties by index keep the order deterministic (a stable sort without its buffer).
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return tokens[a] != tokens[b] ? tokens[a] > tokens[b] : a < b;
  });
  layer->experts.assign(experts, {});
  for (int e : order) {
    double device_max = state->deviceMax();
    double port_max = state->portMax();
    double latency = state->latency();
    int best = -1;
    double best_objective = 0, best_cost = 0, best_finish = 0;
    for (int d = 0; d < cm.numDevices(); ++d) {
      if (!cm.live(d) || state->count(d) >= problem.caps[d]) continue;
      double cost = cm.replicaSeconds(d, tokens[e]);
      double finish = state->device(d) + cost + (state->count(d) == 0 ? cm.launchSeconds(d) : 0.0);
      double port_after = port_max;
      for (const auto& [q, coefficient] : cm.portCoefficients(d)) {
        port_after = std::max(port_after, state->port(q) + coefficient * tokens[e]);
      }
      double objective = cm.layerSeconds(std::max(device_max, finish), port_after,
                                         std::max(latency, cm.exchangeLatency(d)));
      // Where the layer's time does not grow, the expert goes where it runs
      // fastest, so that memory on fast devices goes to the experts that need
      // speed instead of to whichever device is idle early on (a CPU socket
      // with room); among equals, earliest finish balances the load.
      bool same = objective <= best_objective * (1 + 1e-12);
      if (best < 0 || objective < best_objective * (1 - 1e-12) ||
          (same && cost < best_cost * (1 - 1e-9)) ||
          (same && cost <= best_cost * (1 + 1e-9) && finish < best_finish)) {
        best = d;
        best_objective = objective;
        best_cost = cost;
        best_finish = finish;
      }
    }
    // layerSlotCaps guarantees room for every expert.
    layer->experts[e].push_back({best, 1.0});
    state->add(best, tokens[e]);
  }
}

void polishLayer(const LayerProblem& problem, LayerPlacement* layer) {
  LayerLoad state(*problem.cm);
  state.reset(*layer, *problem.tokens);
  // Local search (moves, swaps, added and dropped replicas); then every
  // multi-replica expert's shares re-balanced and a shorter second pass.
  SearchLimits limits;
  refineLayer(problem, limits, layer, &state);
  dropIdleReplicas(layer);
  state.reset(*layer, *problem.tokens);
  balanceAllShares(*problem.cm, *problem.tokens, layer, &state);
  limits.max_iterations = static_cast<int>(problem.tokens->size());
  refineLayer(problem, limits, layer, &state);
  dropIdleReplicas(layer);
}

LayerPlacement planLayerCapacity(const LayerProblem& problem) {
  LayerPlacement layer;
  LayerLoad state(*problem.cm);
  placeGreedy(problem, &layer, &state);
  polishLayer(problem, &layer);
  return layer;
}

LayerPlacement planLayerRoundRobin(const LayerProblem& problem) {
  const CostModel& cm = *problem.cm;
  int experts = static_cast<int>(problem.tokens->size());
  LayerPlacement layer;
  layer.experts.assign(experts, {});
  std::vector<int> used(cm.numDevices(), 0);
  std::vector<int> live;
  for (int d = 0; d < cm.numDevices(); ++d) {
    if (cm.live(d)) live.push_back(d);
  }
  int next = 0;
  for (int e = 0; e < experts; ++e) {
    // The next device in turn with room; layerSlotCaps guarantees one exists.
    for (size_t tries = 0; tries < live.size(); ++tries) {
      int d = live[(next + tries) % live.size()];
      if (used[d] < problem.caps[d]) {
        layer.experts[e].push_back({d, 1.0});
        ++used[d];
        next = static_cast<int>((next + tries + 1) % live.size());
        break;
      }
    }
  }
  return layer;
}

}  // namespace hexmoe::scheduler::detail
