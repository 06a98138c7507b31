#include "runtime/scheduler/online.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <queue>

#include "runtime/scheduler/lower_bound.h"
#include "runtime/scheduler/planner_internal.h"

namespace hexmoe::scheduler {
namespace {

std::vector<int64_t> replicaCounts(const CostModel& cm, const std::vector<LayerPlacement>& layers) {
  std::vector<int64_t> count(cm.numDevices(), 0);
  for (const LayerPlacement& layer : layers) {
    for (const ExpertReplicas& rs : layer.experts) {
      for (const Replica& r : rs) ++count[r.device];
    }
  }
  return count;
}

std::vector<int> layerCounts(const CostModel& cm, const LayerPlacement& layer) {
  std::vector<int> count(cm.numDevices(), 0);
  for (const ExpertReplicas& rs : layer.experts) {
    for (const Replica& r : rs) ++count[r.device];
  }
  return count;
}

/// The weight copies that turn `before` into `after` for one layer.
std::vector<Migration> diffLayer(int l, const LayerPlacement& before, const LayerPlacement& after,
                                 double bytes) {
  std::vector<Migration> out;
  for (size_t e = 0; e < after.experts.size(); ++e) {
    std::vector<int> added, removed;
    auto has = [](const ExpertReplicas& rs, int d) {
      return std::any_of(rs.begin(), rs.end(), [d](const Replica& r) { return r.device == d; });
    };
    for (const Replica& r : after.experts[e]) {
      if (!has(before.experts[e], r.device)) added.push_back(r.device);
    }
    for (const Replica& r : before.experts[e]) {
      if (!has(after.experts[e], r.device)) removed.push_back(r.device);
    }
    size_t pairs = std::max(added.size(), removed.size());
    for (size_t k = 0; k < pairs; ++k) {
      Migration m;
      m.layer = l;
      m.expert = static_cast<int>(e);
      m.from_device = k < removed.size() ? removed[k] : -1;
      m.to_device = k < added.size() ? added[k] : -1;
      m.bytes = m.to_device >= 0 ? bytes : 0.0;
      out.push_back(m);
    }
  }
  return out;
}

/// The net copies and drops that take `before` to `after`, layer by layer:
/// what a migration list must hold, however many search steps the placement
/// went through on the way (each step's own list would repeat moves that a
/// later step undid or moved on).
std::vector<Migration> netMigrations(const std::vector<LayerPlacement>& before,
                                     const std::vector<LayerPlacement>& after, double bytes) {
  std::vector<Migration> out;
  for (size_t l = 0; l < after.size(); ++l) {
    std::vector<Migration> step = diffLayer(static_cast<int>(l), before[l], after[l], bytes);
    out.insert(out.end(), step.begin(), step.end());
  }
  return out;
}

/// Drops the replicas of layer `layer` that would serve under one token per
/// step (an expert keeps its busiest replica whatever its load), then
/// rebalances the shares: a copy that serves almost nothing costs memory and
/// a transfer for no gain. Returns whether any was dropped.
bool dropThinReplicas(const CostModel& cm, const std::vector<double>& tokens, LayerPlacement* layer) {
  bool dropped = false;
  for (size_t e = 0; e < layer->experts.size(); ++e) {
    ExpertReplicas& rs = layer->experts[e];
    if (rs.size() < 2) continue;
    const auto busiest = std::max_element(rs.begin(), rs.end(), [](const Replica& a, const Replica& b) {
      return a.share < b.share;
    });
    ExpertReplicas kept;
    for (auto it = rs.begin(); it != rs.end(); ++it)
      if (it == busiest || it->share * tokens[e] >= 1.0) kept.push_back(*it);
    if (kept.size() == rs.size()) continue;
    double total = 0;
    for (const Replica& r : kept) total += r.share;
    for (Replica& r : kept) r.share /= total;
    rs = std::move(kept);
    dropped = true;
  }
  if (dropped) {
    LayerLoad state(cm);
    state.reset(*layer, tokens);
    detail::balanceAllShares(cm, tokens, layer, &state);
  }
  return dropped;
}

double migrationBytes(const std::vector<Migration>& migrations) {
  double total = 0;
  for (const Migration& m : migrations) total += m.bytes;
  return total;
}

/// One improving local-search step for a layer, with caps from the free
/// memory left on every device.
struct Proposal {
  int layer = -1;
  LayerPlacement placement;
  double gain = 0;
  double bytes = 0;
  double priority() const { return bytes > 0 ? gain / bytes : INFINITY; }
};

Proposal propose(const CostModel& cm, const std::vector<double>& tokens, const LayerPlacement& layer,
                 int l, const std::vector<int64_t>& free) {
  Proposal p;
  p.layer = l;
  p.placement = layer;
  std::vector<int> count = layerCounts(cm, layer);
  detail::LayerProblem problem{&cm, &tokens, {}};
  for (int d = 0; d < cm.numDevices(); ++d) {
    problem.caps.push_back(static_cast<int>(std::min<int64_t>(count[d] + std::max<int64_t>(free[d], 0), 1 << 30)));
  }
  LayerLoad state(cm);
  state.reset(layer, tokens);
  double before = state.objective();
  detail::SearchLimits limits;
  limits.max_iterations = 1;
  detail::refineLayer(problem, limits, &p.placement, &state);
  detail::dropIdleReplicas(&p.placement);
  state.reset(p.placement, tokens);
  p.gain = before - state.objective();
  p.bytes = migrationBytes(diffLayer(l, layer, p.placement, cm.expertBytes()));
  return p;
}

Status finish(const CostModel& cm, bool lower_bound, Plan* plan) {
  HEXMOE_RETURN_IF_ERROR(validatePlacement(cm, plan->layers));
  plan->metrics = evaluatePlacement(cm, plan->load, plan->layers);
  LowerBoundOptions options;
  options.hint = &plan->layers;
  plan->lower_bound_seconds = lower_bound ? lowerBound(cm, plan->load, options).seconds : 0.0;
  return okStatus();
}

}  // namespace

StatusOr<Plan> replan(const Plan& previous, const LoadProfile& fresh, const ReplanOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(CostModel cm, costModelOf(previous));
  HEXMOE_RETURN_IF_ERROR(checkProfile(fresh, previous.model));
  LoadProfile load = fresh;
  if (load.tokens_per_step > 0 && std::fabs(load.tokens_per_step - cm.options().tokens_per_step) > 1e-9) {
    load = load.scaledTo(cm.options().tokens_per_step);
  }
  Plan plan = previous;
  plan.load = load;
  plan.migrations.clear();
  plan.notes.clear();
  int layers = static_cast<int>(plan.layers.size());

  // Token shares follow the new load at no cost.
  for (int l = 0; l < layers; ++l) {
    LayerLoad state(cm);
    state.reset(plan.layers[l], load.expert_tokens[l]);
    detail::balanceAllShares(cm, load.expert_tokens[l], &plan.layers[l], &state);
  }
  std::vector<LayerPlacement> rebalanced = plan.layers;
  double start = evaluatePlacement(cm, load, plan.layers).step_seconds;

  // Weight moves, best gain per byte first, across all layers.
  std::vector<int64_t> used = replicaCounts(cm, plan.layers), free(cm.numDevices());
  for (int d = 0; d < cm.numDevices(); ++d) free[d] = cm.expertSlots(d) - used[d];
  auto worse = [](const Proposal& a, const Proposal& b) { return a.priority() < b.priority(); };
  std::priority_queue<Proposal, std::vector<Proposal>, decltype(worse)> queue(worse);
  double min_gain = 1e-6 * start;
  for (int l = 0; l < layers && options.migration_budget_bytes > 0; ++l) {
    Proposal p = propose(cm, load.expert_tokens[l], plan.layers[l], l, free);
    if (p.gain > min_gain) queue.push(std::move(p));
  }
  double budget = options.migration_budget_bytes;
  bool moved_weights = false;
  while (!queue.empty()) {
    Proposal p = queue.top();
    queue.pop();
    if (p.bytes > budget) continue;  // a cheaper step elsewhere may still fit
    // Free memory may have changed since the proposal was made.
    std::vector<int> before = layerCounts(cm, plan.layers[p.layer]), after = layerCounts(cm, p.placement);
    bool fits = true;
    for (int d = 0; d < cm.numDevices(); ++d) fits = fits && after[d] - before[d] <= free[d];
    if (fits) {
      for (int d = 0; d < cm.numDevices(); ++d) free[d] -= after[d] - before[d];
      moved_weights = moved_weights || !diffLayer(p.layer, plan.layers[p.layer], p.placement, 0).empty();
      budget -= p.bytes;
      plan.layers[p.layer] = p.placement;
    }
    Proposal next = propose(cm, load.expert_tokens[p.layer], plan.layers[p.layer], p.layer, free);
    if (next.gain > min_gain) queue.push(std::move(next));
  }

  double moved = evaluatePlacement(cm, load, plan.layers).step_seconds;
  if (moved_weights && start - moved <= options.hysteresis * start) {
    plan.layers = rebalanced;
    plan.notes.push_back("kept the placement: moving weights would gain " +
                         std::to_string(100.0 * (start - moved) / start) + "%, within the hysteresis of " +
                         std::to_string(100.0 * options.hysteresis) + "%");
  } else {
    for (int l = 0; l < layers; ++l) dropThinReplicas(cm, load.expert_tokens[l], &plan.layers[l]);
    plan.migrations = netMigrations(previous.layers, plan.layers, cm.expertBytes());
  }
  plan.algorithm = previous.algorithm + "+replan";
  HEXMOE_RETURN_IF_ERROR(finish(cm, options.compute_lower_bound, &plan));
  return plan;
}

/// Gives orphan expert e of layer l a home: directly on a device with a
/// free slot, or on a faster device whose coldest single replica moves to
/// the free slot instead (a lost GPU's hot experts should not all land on
/// the CPU that happens to have room). Whichever grows the layer's time
/// least. Returns false when no device has room.
static bool placeOrphan(const CostModel& cm, const std::vector<double>& tokens, LayerPlacement* layer,
                        LayerLoad& state, int e, std::vector<int64_t>* free) {
  int devices = cm.numDevices();
  int best_home = -1, best_displaced = -1, best_spill = -1;
  double best_objective = INFINITY;
  std::vector<int> coldest(devices, -1);
  for (int x = 0; x < static_cast<int>(layer->experts.size()); ++x) {
    const ExpertReplicas& rs = layer->experts[x];
    if (rs.size() != 1 || x == e) continue;
    int g = rs[0].device;
    if (tokens[x] < tokens[e] && (coldest[g] < 0 || tokens[x] < tokens[coldest[g]])) coldest[g] = x;
  }
  for (int t = 0; t < devices; ++t) {
    if (!cm.live(t) || (*free)[t] <= 0) continue;
    state.add(t, tokens[e]);
    double objective = state.objective();
    state.remove(t, tokens[e]);
    if (objective < best_objective) {
      best_objective = objective;
      best_home = t;
      best_displaced = -1;
    }
    for (int g = 0; g < devices; ++g) {
      int x = coldest[g];
      if (g == t || x < 0 || !cm.live(g)) continue;
      state.remove(g, tokens[x]);
      state.add(t, tokens[x]);
      state.add(g, tokens[e]);
      double displaced = state.objective();
      state.remove(g, tokens[e]);
      state.remove(t, tokens[x]);
      state.add(g, tokens[x]);
      if (displaced < best_objective) {
        best_objective = displaced;
        best_home = g;
        best_displaced = x;
        best_spill = t;
      }
    }
  }
  if (best_home < 0) return false;
  if (best_displaced >= 0) {
    layer->experts[best_displaced] = {{best_spill, 1.0}};
    state.remove(best_home, tokens[best_displaced]);
    state.add(best_spill, tokens[best_displaced]);
    --(*free)[best_spill];
  } else {
    --(*free)[best_home];
  }
  layer->experts[e] = {{best_home, 1.0}};
  state.add(best_home, tokens[e]);
  return true;
}

/// Frees one slot by dropping a spare replica (of an expert that has
/// another), preferring layer `prefer` and the replica serving least.
static bool dropSpareReplica(std::vector<LayerPlacement>* layers, int prefer,
                             std::vector<int64_t>* free, std::vector<bool>* touched) {
  int best_layer = -1, best_expert = -1, best_index = -1;
  double best_share = INFINITY;
  for (int pass = 0; pass < 2 && best_layer < 0; ++pass) {
    for (int l = 0; l < static_cast<int>(layers->size()); ++l) {
      if ((pass == 0) != (l == prefer)) continue;
      const LayerPlacement& layer = (*layers)[l];
      for (size_t e = 0; e < layer.experts.size(); ++e) {
        const ExpertReplicas& rs = layer.experts[e];
        if (rs.size() < 2) continue;
        for (size_t i = 0; i < rs.size(); ++i) {
          if (rs[i].share < best_share) {
            best_share = rs[i].share;
            best_layer = l;
            best_expert = static_cast<int>(e);
            best_index = static_cast<int>(i);
          }
        }
      }
    }
  }
  if (best_layer < 0) return false;
  ExpertReplicas& rs = (*layers)[best_layer].experts[best_expert];
  ++(*free)[rs[best_index].device];
  double freed = rs[best_index].share;
  rs.erase(rs.begin() + best_index);
  for (Replica& r : rs) r.share += freed / rs.size();
  (*touched)[best_layer] = true;
  return true;
}

StatusOr<Plan> replanWithoutDevice(const Plan& previous, int lost, const DeviceLossOptions& options) {
  if (lost < 0 || lost >= previous.pool.size()) return invalidArgument("no device with index " + std::to_string(lost));
  if (previous.pool.devices[lost].lost) {
    return invalidArgument("device " + previous.pool.devices[lost].name + " is already lost");
  }
  Plan plan = previous;
  plan.pool.devices[lost].lost = true;
  plan.migrations.clear();
  plan.notes.clear();
  std::vector<int> attention;
  for (int a : previous.attention_devices) {
    if (a != lost) attention.push_back(a);
  }
  if (attention.size() != previous.attention_devices.size()) {
    plan.notes.push_back("attention moved off lost device " + previous.pool.devices[lost].name);
  }
  plan.pool.attention_devices.clear();
  StatusOr<CostModel> built = CostModel::build(plan.pool, plan.model, plan.options, attention);
  if (!built.ok()) {
    // What is left cannot run the model: the loss is at fault, not the request.
    if (built.status().code() != StatusCode::kResourceExhausted) return std::move(built).status();
    return failedPrecondition("without " + previous.pool.devices[lost].name + ": " + built.status().message());
  }
  CostModel cm = std::move(built).value();
  plan.attention_devices = cm.attentionDevices();
  int layers = static_cast<int>(plan.layers.size());
  std::vector<bool> touched(layers, false);

  // Drop the lost device's replicas; experts left without one are orphans.
  std::vector<std::pair<int, int>> orphans;
  for (int l = 0; l < layers; ++l) {
    for (int e = 0; e < static_cast<int>(plan.layers[l].experts.size()); ++e) {
      ExpertReplicas& rs = plan.layers[l].experts[e];
      auto it = std::find_if(rs.begin(), rs.end(), [lost](const Replica& r) { return r.device == lost; });
      if (it == rs.end()) continue;
      touched[l] = true;
      double freed = it->share;
      rs.erase(it);
      if (rs.empty()) {
        orphans.emplace_back(l, e);
      } else {
        for (Replica& r : rs) r.share += freed / rs.size();
      }
    }
  }
  // A device that took over attention has less room for experts now.
  std::vector<int64_t> used = replicaCounts(cm, plan.layers), free(cm.numDevices());
  for (int d = 0; d < cm.numDevices(); ++d) free[d] = cm.expertSlots(d) - used[d];
  for (int d = 0; d < cm.numDevices(); ++d) {
    for (int l = 0; l < layers && free[d] < 0; ++l) {
      for (int e = 0; e < static_cast<int>(plan.layers[l].experts.size()) && free[d] < 0; ++e) {
        ExpertReplicas& rs = plan.layers[l].experts[e];
        auto it = std::find_if(rs.begin(), rs.end(), [d](const Replica& r) { return r.device == d; });
        if (it == rs.end()) continue;
        double freed = it->share;
        rs.erase(it);
        ++free[d];
        touched[l] = true;
        if (rs.empty()) orphans.emplace_back(l, e);
        else for (Replica& r : rs) r.share += freed / rs.size();
      }
    }
  }
  // Hottest orphans first: they get the best remaining homes.
  std::sort(orphans.begin(), orphans.end(), [&](const auto& a, const auto& b) {
    return plan.load.expert_tokens[a.first][a.second] > plan.load.expert_tokens[b.first][b.second];
  });
  // One load state per layer, kept in step with the placements below.
  std::vector<std::unique_ptr<LayerLoad>> states(layers);
  auto stateOf = [&](int l) -> LayerLoad& {
    if (!states[l]) {
      states[l] = std::make_unique<LayerLoad>(cm);
      states[l]->reset(plan.layers[l], plan.load.expert_tokens[l]);
    }
    return *states[l];
  };
  for (const auto& [l, e] : orphans) {
    const std::vector<double>& tokens = plan.load.expert_tokens[l];
    if (placeOrphan(cm, tokens, &plan.layers[l], stateOf(l), e, &free)) continue;
    if (!dropSpareReplica(&plan.layers, l, &free, &touched)) {
      return failedPrecondition("without " + previous.pool.devices[lost].name +
                                " the pool cannot hold one copy of every expert");
    }
    for (auto& state : states) state.reset();  // a replica somewhere was dropped
    if (!placeOrphan(cm, tokens, &plan.layers[l], stateOf(l), e, &free)) {
      return failedPrecondition("without " + previous.pool.devices[lost].name +
                                " the pool cannot hold one copy of every expert");
    }
  }
  // Shares, then local search on the layers that changed, while time lasts.
  std::vector<int> order;
  for (int l = 0; l < layers; ++l) {
    if (!touched[l]) continue;
    order.push_back(l);
    LayerLoad state(cm);
    state.reset(plan.layers[l], plan.load.expert_tokens[l]);
    detail::balanceAllShares(cm, plan.load.expert_tokens[l], &plan.layers[l], &state);
  }
  for (int l : order) {
    if (options.refine_steps_per_layer <= 0) break;
    std::vector<int> count = layerCounts(cm, plan.layers[l]);
    detail::LayerProblem problem{&cm, &plan.load.expert_tokens[l], {}};
    for (int d = 0; d < cm.numDevices(); ++d) {
      problem.caps.push_back(static_cast<int>(count[d] + std::max<int64_t>(free[d], 0)));
    }
    LayerLoad state(cm);
    state.reset(plan.layers[l], plan.load.expert_tokens[l]);
    detail::SearchLimits limits;
    limits.max_iterations = options.refine_steps_per_layer;
    limits.replicate = false;
    detail::refineLayer(problem, limits, &plan.layers[l], &state);
    detail::dropIdleReplicas(&plan.layers[l]);
    std::vector<int> after = layerCounts(cm, plan.layers[l]);
    for (int d = 0; d < cm.numDevices(); ++d) free[d] -= after[d] - count[d];
  }
  for (int l : order) dropThinReplicas(cm, plan.load.expert_tokens[l], &plan.layers[l]);
  // The net copies from the placement before the loss (an orphan's copy
  // comes from the host: its from_device is the lost device).
  plan.migrations = netMigrations(previous.layers, plan.layers, cm.expertBytes());
  plan.algorithm = previous.algorithm + "+device-loss";
  HEXMOE_RETURN_IF_ERROR(finish(cm, options.compute_lower_bound, &plan));
  return plan;
}

}  // namespace hexmoe::scheduler
