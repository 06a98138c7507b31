// Local search over one layer's placement against the cost model.
//
// Moves are tried off the bottleneck device (the one that sets the layer's
// time) and off the devices feeding the busiest link. Moves and swaps of
// single-replica experts (nearly all of them) are scored exactly in
// O(devices + ports) from cached device times and a per-expert cost table;
// the rest go through the load state. Ties on the objective are broken by
// the sum of squared device times, so the search keeps going when several
// devices share the maximum, but only for a bounded number of steps.
#include <algorithm>
#include <cmath>

#include "runtime/scheduler/planner_internal.h"

namespace hexmoe::scheduler::detail {
namespace {

struct Score {
  double objective = 0;
  double squares = 0;
};

class Search {
 public:
  Search(const LayerProblem& problem, LayerPlacement* layer, LayerLoad* state)
      : cm_(*problem.cm), tokens_(*problem.tokens), caps_(problem.caps), layer_(*layer),
        state_(*state), devices_(cm_.numDevices()), experts_(static_cast<int>(layer->experts.size())),
        port_delta_(cm_.numPorts(), 0.0) {
    single_.resize(static_cast<size_t>(experts_) * devices_);
    for (int e = 0; e < experts_; ++e) {
      for (int d = 0; d < devices_; ++d) single_[e * devices_ + d] = cm_.replicaSeconds(d, tokens_[e]);
    }
  }

  void run(const SearchLimits& limits) {
    int max_iterations = limits.max_iterations > 0 ? limits.max_iterations : 4 * experts_;
    // Steps that only even out non-bottleneck devices are capped, or a
    // homogeneous pool would shuffle equal experts for the whole budget.
    int plateau_budget = std::max(8, experts_ / 4);
    for (int it = 0; it < max_iterations && plateau_budget > 0; ++it) {
      double before = state_.objective();
      if (!step(limits)) break;
      if (state_.objective() > before * (1 - 1e-6)) --plateau_budget;
    }

  }

 private:
  enum Kind { kNone = -1, kMove, kSwap, kAdd, kDrop };
  struct Candidate {
    Score score;
    Kind kind = kNone;
    int e = -1, i = -1, target = -1, e2 = -1, i2 = -1;
    int source = -1;  // swaps: where e is (the bottleneck unless a port swap)
  };

  double single(int e, int d) const { return single_[e * devices_ + d]; }
  double cost(int e, int d, double share) const {
    return share == 1.0 ? single(e, d) : cm_.replicaSeconds(d, share * tokens_[e]);
  }
  bool hosts(int e, int d) const {
    for (const Replica& r : layer_.experts[e]) {
      if (r.device == d) return true;
    }
    return false;
  }
  Score score() const {
    Score s{state_.objective(), 0.0};
    for (int d = 0; d < devices_; ++d) s.squares += state_.device(d) * state_.device(d);
    return s;
  }
  bool better(const Score& a, const Score& b) const {
    double tol = 1e-9 * std::max(b.objective, 1e-30);
    if (a.objective < b.objective - tol) return true;
    return a.objective <= b.objective + tol && a.squares < b.squares * (1 - 1e-9);
  }
  void setExpert(int e, const ExpertReplicas& next) {
    for (const Replica& r : layer_.experts[e]) state_.remove(r.device, r.share * tokens_[e]);
    layer_.experts[e] = next;
    for (const Replica& r : next) state_.add(r.device, r.share * tokens_[e]);
  }
  void rebuildIndex() {
    on_device_.assign(devices_, {});
    for (int e = 0; e < experts_; ++e) {
      for (int i = 0; i < static_cast<int>(layer_.experts[e].size()); ++i) {
        on_device_[layer_.experts[e][i].device].emplace_back(e, i);
      }
    }
  }
  /// The largest device time outside {a, b}.
  double maxExcept(int a, int b) const {
    for (int k = 0; k < 3 && k < devices_; ++k) {
      if (top_[k] != a && top_[k] != b) return device_[top_[k]];
    }
    return 0;
  }
  /// The busiest port after `tokens_s` copies leave device s's paths and
  /// `tokens_t` arrive on t's (negative values move the other way).
  double portMaxAfter(int s, double tokens_s, int t, double tokens_t) {
    for (const auto& [q, k] : cm_.portCoefficients(s)) port_delta_[q] -= k * tokens_s;
    for (const auto& [q, k] : cm_.portCoefficients(t)) port_delta_[q] += k * tokens_t;
    double m = 0;
    for (int q = 0; q < cm_.numPorts(); ++q) m = std::max(m, state_.port(q) + port_delta_[q]);
    for (const auto& [q, k] : cm_.portCoefficients(s)) port_delta_[q] = 0;
    for (const auto& [q, k] : cm_.portCoefficients(t)) port_delta_[q] = 0;
    return m;
  }
  double latencyWithCounts(int s, int count_s, int t, int count_t) const {
    double m = 0;
    for (int d = 0; d < devices_; ++d) {
      int c = d == s ? count_s : d == t ? count_t : state_.count(d);
      if (c > 0) m = std::max(m, cm_.exchangeLatency(d));
    }
    return m;
  }
  /// Scores a candidate whose effect is two device times and a token move.
  Score quickScore(int s, double s_after, int t, double t_after, double port_max, double latency) const {
    double device_max = std::max({s_after, t_after, maxExcept(s, t)});
    Score r{cm_.layerSeconds(device_max, port_max, latency), squares_};
    r.squares += s_after * s_after - device_[s] * device_[s] + t_after * t_after - device_[t] * device_[t];
    return r;
  }

  /// Tries changing expert c.e to `next` (and c.e2 to `next2`) through the
  /// load state, re-balancing the shares of multi-replica experts; keeps the
  /// candidate in `best` if better.
  void consider(Candidate c, const ExpertReplicas& next, Candidate* best, const ExpertReplicas* next2 = nullptr) {
    ExpertReplicas old = layer_.experts[c.e];
    ExpertReplicas old2 = next2 != nullptr ? layer_.experts[c.e2] : ExpertReplicas{};
    setExpert(c.e, next);
    if (next2 != nullptr) setExpert(c.e2, *next2);
    if (next.size() > 1) balanceShares(cm_, tokens_[c.e], &layer_.experts[c.e], &state_);
    if (next2 != nullptr && next2->size() > 1) balanceShares(cm_, tokens_[c.e2], &layer_.experts[c.e2], &state_);
    c.score = score();
    if (better(c.score, best->kind == kNone ? current_ : best->score)) *best = c;
    if (next2 != nullptr) setExpert(c.e2, old2);
    setExpert(c.e, old);
  }

  void offer(const Candidate& c, Candidate* best) const {
    if (better(c.score, best->kind == kNone ? current_ : best->score)) *best = c;
  }

  /// Seconds per token copy that device d's traffic adds to port q.
  double coefficient(int d, int q) const {
    if (q == cached_port_) return cached_coefficient_[d];
    for (const auto& [port, k] : cm_.portCoefficients(d)) {
      if (port == q) return k;
    }
    return 0;
  }
  void cacheCoefficients(int q) {
    cached_port_ = -1;
    cached_coefficient_.assign(devices_, 0.0);
    for (int d = 0; d < devices_; ++d) cached_coefficient_[d] = coefficient(d, q);
    cached_port_ = q;
  }

  /// Moves of s's replicas. Off the bottleneck (s feeds the busiest port
  /// `hot_port`), only moves that take traffic off that port and do not raise
  /// the device maximum are scored.
  void tryMoves(int s, int hot_port, Candidate* best) {
    bool bottleneck = s == top_[0];
    double s_coefficient = bottleneck ? 0 : coefficient(s, hot_port);
    for (const auto& [e, i] : on_device_[s]) {
      const Replica& r = layer_.experts[e][i];
      bool whole = layer_.experts[e].size() == 1;
      double leave = cost(e, s, r.share) + (state_.count(s) == 1 ? cm_.launchSeconds(s) : 0.0);
      double s_after = device_[s] - leave;
      for (int t = 0; t < devices_; ++t) {
        if (t == s || !cm_.live(t) || state_.count(t) >= caps_[t] || hosts(e, t)) continue;
        double t_after = device_[t] + cost(e, t, r.share) + (state_.count(t) == 0 ? cm_.launchSeconds(t) : 0.0);
        // Off the bottleneck, a move that neither lowers the maximum nor evens
        // out the two devices cannot win; skip it before scoring.
        if (bottleneck) {
          double new_max = std::max({s_after, t_after, maxExcept(s, t)});
          double dsq = s_after * s_after - device_[s] * device_[s] + t_after * t_after - device_[t] * device_[t];
          if (new_max > device_max_ * (1 + 1e-9)) continue;
          if (new_max >= device_max_ * (1 - 1e-9) && dsq >= 0) continue;
        } else if (t_after > device_max_ * (1 + 1e-9) || coefficient(t, hot_port) >= s_coefficient) {
          continue;
        }
        if (!whole) {
          ExpertReplicas next = layer_.experts[e];
          next[i].device = t;
          consider({Score{}, kMove, e, i, t}, next, best);
          continue;
        }
        double moved = tokens_[e];
        double latency = (state_.count(s) == 1 || state_.count(t) == 0)
                             ? latencyWithCounts(s, state_.count(s) - 1, t, state_.count(t) + 1)
                             : latency_;
        Candidate c{quickScore(s, s_after, t, t_after, portMaxAfter(s, moved, t, moved), latency), kMove, e, i, t};
        offer(c, best);
      }
    }
  }

  /// Swaps of a replica on the bottleneck with one on a lightly loaded device
  /// (the six lightest: the ones that can absorb a heavier expert).
  void trySwaps(int b, Candidate* best) {
    std::vector<int> targets;
    for (int t = 0; t < devices_; ++t) {
      if (t != b && cm_.live(t) && state_.count(t) > 0) targets.push_back(t);
    }
    size_t keep = std::min<size_t>(6, targets.size());
    std::partial_sort(targets.begin(), targets.begin() + keep, targets.end(),
                      [&](int x, int y) { return device_[x] < device_[y]; });
    targets.resize(keep);
    for (const auto& [e, i] : on_device_[b]) {
      const Replica& r = layer_.experts[e][i];
      bool whole = layer_.experts[e].size() == 1;
      for (int t : targets) {
        if (hosts(e, t)) continue;
        double out_b = cost(e, b, r.share), in_t = cost(e, t, r.share);
        for (const auto& [e2, i2] : on_device_[t]) {
          const Replica& r2 = layer_.experts[e2][i2];
          if (e2 == e || hosts(e2, b)) continue;
          // Device times with the shares unchanged; exact for single replicas,
          // a screen for the rest (re-balanced below when they pass).
          double s_after = device_[b] - out_b + cost(e2, b, r2.share);
          double t_after = device_[t] - cost(e2, t, r2.share) + in_t;
          double new_max = std::max({s_after, t_after, maxExcept(b, t)});
          double dsq = s_after * s_after - device_[b] * device_[b] + t_after * t_after - device_[t] * device_[t];
          if (new_max > device_max_ * (1 + 1e-9)) continue;
          if (new_max >= device_max_ * (1 - 1e-9) && dsq >= 0) continue;
          if (!whole || layer_.experts[e2].size() != 1) {
            ExpertReplicas next = layer_.experts[e], next2 = layer_.experts[e2];
            next[i].device = t;
            next2[i2].device = b;
            consider({Score{}, kSwap, e, i, t, e2, i2}, next, best, &next2);
            continue;
          }
          double net = tokens_[e] - tokens_[e2];  // copies that change sides, b -> t
          Candidate c{quickScore(b, s_after, t, t_after, portMaxAfter(b, net, t, net), latency_), kSwap,
                      e, i, t, e2, i2};
          offer(c, best);
        }
      }
    }
  }

  /// Swaps that take tokens off the busiest port: a hot expert on a device
  /// behind it for a cold one on a device with a cheaper path. Device time
  /// balance alone is indifferent to which of two bandwidth-bound experts
  /// sits where (both cost one weight read), the exchange is not.
  void tryPortSwaps(int hot_port, Candidate* best) {
    auto extremes = [&](int d, bool hottest) {
      std::vector<std::pair<double, int>> list;
      for (const auto& [e, i] : on_device_[d]) {
        if (layer_.experts[e].size() == 1) list.emplace_back(tokens_[e], e);
      }
      size_t keep = std::min<size_t>(4, list.size());
      auto order = [&](const std::pair<double, int>& x, const std::pair<double, int>& y) {
        return hottest ? x > y : x < y;
      };
      std::partial_sort(list.begin(), list.begin() + keep, list.end(), order);
      list.resize(keep);
      return list;
    };
    for (int s = 0; s < devices_; ++s) {
      double s_coefficient = coefficient(s, hot_port);
      if (s_coefficient <= 0 || state_.count(s) == 0) continue;
      auto hot = extremes(s, true);
      for (int t = 0; t < devices_; ++t) {
        if (t == s || !cm_.live(t) || coefficient(t, hot_port) >= s_coefficient) continue;
        auto cold = extremes(t, false);
        for (const auto& [tokens_hot, e] : hot) {
          for (const auto& [tokens_cold, e2] : cold) {
            if (tokens_cold >= tokens_hot || hosts(e, t) || hosts(e2, s)) continue;
            double s_after = device_[s] - single(e, s) + single(e2, s);
            double t_after = device_[t] - single(e2, t) + single(e, t);
            if (std::max(s_after, t_after) > device_max_ * (1 + 1e-9)) continue;
            double net = tokens_hot - tokens_cold;
            Candidate c{quickScore(s, s_after, t, t_after, portMaxAfter(s, net, t, net), latency_), kSwap,
                        e, 0, t, e2, 0};
            c.source = s;
            offer(c, best);
          }
        }
      }
    }
  }

  bool step(const SearchLimits& limits) {
    // Trying candidates through the state adds and subtracts the same terms
    // many times; each step starts from exact sums.
    state_.reset(layer_, tokens_);
    rebuildIndex();
    current_ = score();
    device_.resize(devices_);
    squares_ = 0;
    for (int d = 0; d < devices_; ++d) {
      device_[d] = state_.device(d);
      squares_ += device_[d] * device_[d];
    }
    latency_ = state_.latency();
    top_.resize(devices_);
    for (int d = 0; d < devices_; ++d) top_[d] = d;
    std::partial_sort(top_.begin(), top_.begin() + std::min(3, devices_), top_.end(),
                      [&](int a, int b) { return device_[a] > device_[b]; });
    int b = top_[0];
    device_max_ = device_[b];
    Candidate best;

    tryMoves(b, -1, &best);
    // When the exchange is a real part of the layer's time, moving work off
    // the devices behind the busiest port can pay even if they are not the
    // bottleneck.
    int hot_port = -1;
    for (int q = 0; q < cm_.numPorts(); ++q) {
      if (state_.port(q) > 0 && (hot_port < 0 || state_.port(q) > state_.port(hot_port))) hot_port = q;
    }
    if (hot_port >= 0 && state_.port(hot_port) > 0.02 * current_.objective) {
      cacheCoefficients(hot_port);
      for (int d = 0; d < devices_; ++d) {
        if (d == b || state_.count(d) == 0) continue;
        for (const auto& [q, coefficient] : cm_.portCoefficients(d)) {
          if (q == hot_port) tryMoves(d, hot_port, &best);
        }
      }
      if (limits.swaps) tryPortSwaps(hot_port, &best);
    }
    if (best.kind == kNone && limits.swaps) trySwaps(b, &best);

    // Another replica of one of the bottleneck's hottest experts, on one of
    // the least loaded devices with room.
    if (limits.replicate) {
      std::vector<std::pair<double, int>> hot;
      for (const auto& [e, i] : on_device_[b]) hot.emplace_back(cost(e, b, layer_.experts[e][i].share), e);
      std::sort(hot.rbegin(), hot.rend());
      std::vector<int> targets;
      for (int t = 0; t < devices_; ++t) {
        if (cm_.live(t) && state_.count(t) < caps_[t]) targets.push_back(t);
      }
      std::sort(targets.begin(), targets.end(), [&](int x, int y) { return device_[x] < device_[y]; });
      if (targets.size() > 4) targets.resize(4);
      for (size_t k = 0; k < hot.size() && k < 2; ++k) {
        int e = hot[k].second;
        // Halving a bandwidth-bound expert's tokens barely shortens its weight
        // read; skip experts where even an even split gains under 1%.
        double share = 1.0;
        for (const Replica& r : layer_.experts[e]) share = r.device == b ? r.share : share;
        if (cost(e, b, share) - cm_.replicaSeconds(b, 0.5 * share * tokens_[e]) < 0.01 * device_max_) continue;
        for (int t : targets) {
          if (hosts(e, t)) continue;
          ExpertReplicas next = layer_.experts[e];
          next.push_back({t, 0.0});
          consider({Score{}, kAdd, e, -1, t}, next, &best);
        }
      }
    }

    // Dropping a replica frees a slot and a weight read.
    if (limits.drop_replicas) {
      for (const auto& [e, i] : on_device_[b]) {
        if (layer_.experts[e].size() < 2) continue;
        ExpertReplicas next = layer_.experts[e];
        double freed = next[i].share;
        next.erase(next.begin() + i);
        for (Replica& r : next) r.share += freed / next.size();
        consider({Score{}, kDrop, e, i, -1}, next, &best);
      }
    }

    if (best.kind == kNone) return false;
    ExpertReplicas next = layer_.experts[best.e];
    switch (best.kind) {
      case kMove: next[best.i].device = best.target; break;
      case kSwap: {
        ExpertReplicas next2 = layer_.experts[best.e2];
        next2[best.i2].device = best.source >= 0 ? best.source : b;
        setExpert(best.e2, next2);
        next[best.i].device = best.target;
        break;
      }
      case kAdd: next.push_back({best.target, 0.0}); break;
      case kDrop: {
        double freed = next[best.i].share;
        next.erase(next.begin() + best.i);
        for (Replica& r : next) r.share += freed / next.size();
        break;
      }
      case kNone: break;
    }
    setExpert(best.e, next);
    if (next.size() > 1) balanceShares(cm_, tokens_[best.e], &layer_.experts[best.e], &state_);
    if (best.kind == kSwap && layer_.experts[best.e2].size() > 1) {
      balanceShares(cm_, tokens_[best.e2], &layer_.experts[best.e2], &state_);
    }
    return true;
  }

  const CostModel& cm_;
  const std::vector<double>& tokens_;
  const std::vector<int>& caps_;
  LayerPlacement& layer_;
  LayerLoad& state_;
  int devices_;
  int experts_;
  std::vector<double> single_;  // [expert * devices + device]: replica time at full load
  std::vector<std::vector<std::pair<int, int>>> on_device_;
  std::vector<double> port_delta_;
  int cached_port_ = -1;
  std::vector<double> cached_coefficient_;
  // Per step: cached device times, the three largest, and the current score.
  std::vector<double> device_;
  std::vector<int> top_;
  double device_max_ = 0;
  double squares_ = 0;
  double latency_ = 0;
  Score current_;
};

}  // namespace

void refineLayer(const LayerProblem& problem, const SearchLimits& limits, LayerPlacement* layer,
                 LayerLoad* state) {
  Search search(problem, layer, state);
  search.run(limits);
}

}  // namespace hexmoe::scheduler::detail
