#include "runtime/scheduler/lower_bound.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <queue>
#include <tuple>
#include <vector>

namespace hexmoe::scheduler {
namespace {

/// Devices with the same costs, memory and attention work form a class, and
/// ports of the same type on the same class of device form a port class.
/// Averaging is what keeps the bound valid for any grouping: a layer's time
/// is at least the mean load of a class's devices, and at least the mean
/// traffic of a class's ports. For identical devices nothing is lost, and
/// the search has a handful of weights per layer instead of one per device.
struct Classes {
  int count = 0;
  std::vector<std::vector<int>> members;
  std::vector<double> attention;            // mean A_d
  std::vector<int64_t> slots;               // sum of slots
  int port_count = 0;
  std::vector<std::vector<double>> port;    // [class][port class]: mean port seconds per token copy
  std::vector<int> port_class;              // [port]
};

Classes groupDevices(const CostModel& cm) {
  Classes c;
  using Key = std::tuple<double, double, double, int64_t>;
  std::map<Key, int> index;
  std::vector<int> class_of(cm.numDevices(), -1);
  for (int d = 0; d < cm.numDevices(); ++d) {
    if (!cm.live(d)) continue;
    Key key{cm.bytesPerSecond(d), cm.flopsPerSecond(d), cm.attentionSeconds(d), cm.expertSlots(d)};
    auto [it, inserted] = index.emplace(key, c.count);
    if (inserted) {
      ++c.count;
      c.members.emplace_back();
      c.slots.push_back(0);
      c.attention.push_back(0);
    }
    class_of[d] = it->second;
    c.members[it->second].push_back(d);
    c.slots[it->second] += cm.expertSlots(d);
    c.attention[it->second] += cm.attentionSeconds(d);
  }
  for (int k = 0; k < c.count; ++k) c.attention[k] /= c.members[k].size();

  std::map<std::tuple<std::string, double, int>, int> port_index;
  std::vector<int> port_class(cm.numPorts());
  std::vector<int> port_size;
  for (int q = 0; q < cm.numPorts(); ++q) {
    const Port& p = cm.port(q);
    std::string type = p.name.substr(p.name.rfind('.') + 1);
    int owner = p.device >= 0 ? class_of[p.device] : -1;
    auto [it, inserted] = port_index.emplace(std::make_tuple(type, p.seconds_per_byte, owner), c.port_count);
    if (inserted) {
      ++c.port_count;
      port_size.push_back(0);
    }
    port_class[q] = it->second;
    ++port_size[it->second];
  }
  c.port_class = port_class;
  c.port.assign(c.count, std::vector<double>(c.port_count, INFINITY));
  for (int k = 0; k < c.count; ++k) {
    for (int d : c.members[k]) {
      std::vector<double> sum(c.port_count, 0.0);
      for (const auto& [q, coefficient] : cm.portCoefficients(d)) sum[port_class[q]] += coefficient;
      for (int p = 0; p < c.port_count; ++p) c.port[k][p] = std::min(c.port[k][p], sum[p] / port_size[p]);
    }
  }
  return c;
}

/// Dual weights of one layer: device classes, then port classes.
struct LayerDual {
  std::vector<double> w;
  std::vector<double> v;
  double step = 1.0;
};

class BoundSearch {
 public:
  BoundSearch(const CostModel& cm, const LoadProfile& load)
      : cm_(cm), load_(load), classes_(groupDevices(cm)) {
    k_ = classes_.count;
    p_ = classes_.port_count;
    layers_ = load.numLayers();
    experts_ = cm.model().num_experts;
    latency_ = cm.options().objective == Objective::kLatency;
    // Class cost of an expert, per unit of its tokens: the cheapest member's
    // replica time at full load over the class size (the class's mean load
    // counts each of its devices once).
    cost_.resize(layers_);
    tau_.resize(layers_);
    for (int l = 0; l < layers_; ++l) {
      cost_[l].resize(static_cast<size_t>(experts_) * k_);
      tau_[l].resize(experts_);
      for (int e = 0; e < experts_; ++e) {
        double cheapest = INFINITY;
        for (int k = 0; k < k_; ++k) {
          double c = INFINITY;
          for (int d : classes_.members[k]) c = std::min(c, cm.replicaSeconds(d, load.expert_tokens[l][e]));
          c /= classes_.members[k].size();
          cost_[l][e * k_ + k] = c;
          cheapest = std::min(cheapest, c);
        }
        tau_[l][e] = cheapest / k_;
      }
    }
    mu_.assign(k_, 0.0);
    // Start from weights proportional to each class's weight bandwidth: in
    // the bandwidth-bound regime that equalises the classes' marginal time.
    LayerDual init;
    init.w.assign(k_, 0.0);
    double total = 0;
    for (int k = 0; k < k_; ++k) {
      init.w[k] = cm.bytesPerSecond(classes_.members[k][0]) * classes_.members[k].size();
      total += init.w[k];
    }
    for (double& x : init.w) x /= total;
    init.v.assign(p_, p_ > 0 ? 1.0 / p_ : 0.0);
    if (!latency_) normalise(&init);
    duals_.assign(layers_, init);
  }

  /// Maximises G(w) = max over mu of the dual: a concave function of the
  /// layer weights alone. Its supergradient is the class and port loads of
  /// the memory-feasible assignment the transportation problem returns
  /// (Danskin), so weights move toward the classes that memory forces to
  /// work, which alternating between w and mu finds only very slowly.
  double run(const LowerBoundOptions& options, int* rounds_done) {
    // Start from the memory-free optimum of each layer (cheap, and exact when
    // memory does not bind) or from a plan's bottlenecks, whichever is better.
    for (int l = 0; l < layers_; ++l) ascendLayer(l, options.layer_iterations, 0.05);
    std::vector<int> owner, best_owner;
    double best = solveMemoryPrices(&best_owner);
    std::vector<LayerDual> best_duals = duals_;
    std::vector<double> best_mu = mu_;
    if (options.hint != nullptr && options.hint->size() == static_cast<size_t>(layers_)) {
      warmStart(*options.hint);
      double hinted = solveMemoryPrices(&owner);
      if (hinted > best) {
        best = hinted;
        best_duals = duals_;
        best_owner = owner;
        best_mu = mu_;
      }
    }
    duals_ = best_duals;
    mu_ = best_mu;
    double step = 1.0;
    int stalled = 0;
    exponentiatedStep(best_owner, step);
    for (int round = 0; round < options.rounds && step > 1e-3 && stalled < 12; ++round) {
      *rounds_done = round + 1;
      double value = solveMemoryPrices(&owner);
      if (value > best) {
        stalled = value > best * (1 + 1e-4) ? 0 : stalled + 1;
        best = value;
        best_duals = duals_;
        best_owner = owner;
        best_mu = mu_;
        step = std::min(step * 1.5, 4.0);
      } else {
        ++stalled;
        duals_ = best_duals;
        mu_ = best_mu;
        step *= 0.4;
      }
      exponentiatedStep(best_owner, step);
    }
    duals_ = best_duals;
    mu_ = best_mu;
    // Polish: ascend each layer with the memory prices fixed, then re-price;
    // helps where memory is slack. Every value is a valid bound; the best is kept.
    for (int round = 0; round < 3; ++round) {
      for (int l = 0; l < layers_; ++l) ascendLayer(l, options.layer_iterations, 0.02);
      best = std::max(best, solveMemoryPrices(&owner));
    }
    return best;
  }

 private:
  /// w_k <- w_k exp(step (load_k - max) / max), likewise for ports, then
  /// normalised: exponents are never positive, so nothing overflows when a
  /// weight has drifted to almost nothing. A floor lets such weights regrow.
  void multiplicativeUpdate(const std::vector<double>& load, const std::vector<double>& traffic, double step,
                            LayerDual* dual) const {
    double top_load = *std::max_element(load.begin(), load.end());
    double top_traffic = traffic.empty() ? 0.0 : *std::max_element(traffic.begin(), traffic.end());
    double scale_w = latency_ ? top_load : std::max(top_load, top_traffic);
    double scale_v = latency_ ? top_traffic : scale_w;
    if (scale_w > 0) {
      for (int k = 0; k < k_; ++k) {
        dual->w[k] = std::max(dual->w[k], 1e-12) * std::exp(step * (load[k] - scale_w) / scale_w);
      }
    }
    if (scale_v > 0) {
      for (int p = 0; p < p_; ++p) {
        dual->v[p] = std::max(dual->v[p], 1e-12) * std::exp(step * (traffic[p] - scale_v) / scale_v);
      }
    }
    normalise(dual);
  }

  void normalise(LayerDual* dual) const {
    auto scale = [](std::vector<double>* x, double total) {
      if (x->empty()) return;
      if (!(total > 0) || !std::isfinite(total)) {
        std::fill(x->begin(), x->end(), 1.0 / x->size());
      } else {
        for (double& v : *x) v /= total;
      }
    };
    double sw = 0, sv = 0;
    for (double x : dual->w) sw += x;
    for (double x : dual->v) sv += x;
    if (latency_) {
      scale(&dual->w, sw);
      scale(&dual->v, sv);
      return;
    }
    double total = sw + sv;
    if (!(total > 0) || !std::isfinite(total)) {
      std::fill(dual->w.begin(), dual->w.end(), 1.0 / (dual->w.size() + dual->v.size()));
      std::fill(dual->v.begin(), dual->v.end(), 1.0 / (dual->w.size() + dual->v.size()));
      return;
    }
    for (double& x : dual->w) x /= total;
    for (double& x : dual->v) x /= total;
  }

  /// Per-class price of one token copy over the port classes.
  std::vector<double> portPrices(const LayerDual& dual) const {
    std::vector<double> price(k_, 0.0);
    for (int k = 0; k < k_; ++k) {
      for (int p = 0; p < p_; ++p) price[k] += dual.v[p] * classes_.port[k][p];
    }
    return price;
  }

  double exactValue(int l, const LayerDual& dual) const {
    std::vector<double> price = portPrices(dual);
    const std::vector<double>& tokens = load_.expert_tokens[l];
    double bytes = cm_.expertBytes();
    double value = 0;
    for (int k = 0; k < k_; ++k) value += dual.w[k] * classes_.attention[k];
    for (int e = 0; e < experts_; ++e) {
      const double* c = &cost_[l][static_cast<size_t>(e) * k_];
      double vmin = INFINITY;
      for (int k = 0; k < k_; ++k) vmin = std::min(vmin, dual.w[k] * c[k] + mu_[k] * bytes + tokens[e] * price[k]);
      value += vmin;
    }
    return value;
  }

  /// The entropy-smoothed dual (soft minimum, temperature tau * smoothing per
  /// expert) and its gradient: the expected class and port loads.
  double smoothValue(int l, const LayerDual& dual, double smoothing, std::vector<double>* load,
                     std::vector<double>* traffic) const {
    std::vector<double> price = portPrices(dual);
    const std::vector<double>& tokens = load_.expert_tokens[l];
    double bytes = cm_.expertBytes();
    load->assign(k_, 0.0);
    traffic->assign(p_, 0.0);
    double value = 0;
    for (int k = 0; k < k_; ++k) {
      value += dual.w[k] * classes_.attention[k];
      (*load)[k] += classes_.attention[k];
    }
    std::vector<double> v(k_), pi(k_);
    for (int e = 0; e < experts_; ++e) {
      const double* c = &cost_[l][static_cast<size_t>(e) * k_];
      double vmin = INFINITY;
      for (int k = 0; k < k_; ++k) {
        v[k] = dual.w[k] * c[k] + mu_[k] * bytes + tokens[e] * price[k];
        vmin = std::min(vmin, v[k]);
      }
      double tau = std::max(tau_[l][e] * smoothing, 1e-18);
      double z = 0;
      for (int k = 0; k < k_; ++k) {
        double gap = (v[k] - vmin) / tau;
        pi[k] = gap > 40 ? 0.0 : std::exp(-gap);
        z += pi[k];
      }
      value += vmin - tau * std::log(z);
      for (int k = 0; k < k_; ++k) {
        if (pi[k] == 0) continue;
        double share = pi[k] / z;
        (*load)[k] += share * c[k];
        for (int p = 0; p < p_; ++p) (*traffic)[p] += share * classes_.port[k][p] * tokens[e];
      }
    }
    return value;
  }

  /// Exponentiated-gradient ascent with backtracking on the smoothed dual;
  /// returns the best exact value seen (each one a valid bound term).
  double ascendLayer(int l, int iterations, double smoothing) {
    LayerDual& dual = duals_[l];
    std::vector<double> load, traffic, next_load, next_traffic;
    double smooth = smoothValue(l, dual, smoothing, &load, &traffic);
    double best_exact = exactValue(l, dual);
    for (int it = 0; it < iterations && dual.step > 1e-6; ++it) {
      LayerDual next = dual;
      multiplicativeUpdate(load, traffic, dual.step, &next);
      double next_smooth = smoothValue(l, next, smoothing, &next_load, &next_traffic);
      if (next_smooth >= smooth) {
        next.step = std::min(dual.step * 1.5, 8.0);
        dual = next;
        smooth = next_smooth;
        load.swap(next_load);
        traffic.swap(next_traffic);
        best_exact = std::max(best_exact, exactValue(l, dual));
      } else {
        dual.step *= 0.4;
      }
    }
    return std::max(best_exact, exactValue(l, dual));
  }

  /// Dual weights from a plan: by complementary slackness only the devices
  /// and ports that set a layer's time carry weight at the optimum, so each
  /// class gets a weight that falls off steeply with its distance from the
  /// layer's maximum.
  void warmStart(const std::vector<LayerPlacement>& layers) {
    LayerLoad state(cm_);
    for (int l = 0; l < layers_; ++l) {
      state.reset(layers[l], load_.expert_tokens[l]);
      std::vector<double> load(k_, 0.0), traffic(p_, 0.0), port_count(p_, 0.0);
      for (int k = 0; k < k_; ++k) {
        for (int d : classes_.members[k]) load[k] = std::max(load[k], state.device(d));
      }
      for (int q = 0; q < cm_.numPorts(); ++q) {
        traffic[classes_.port_class[q]] = std::max(traffic[classes_.port_class[q]], state.port(q));
      }
      LayerDual& dual = duals_[l];
      std::fill(dual.w.begin(), dual.w.end(), 1.0);
      std::fill(dual.v.begin(), dual.v.end(), 1.0);
      multiplicativeUpdate(load, traffic, 20.0, &dual);
    }
  }

  /// One exponentiated-gradient step of every layer's weights along the
  /// loads of the assignment `owner` (item l * experts + e -> class).
  void exponentiatedStep(const std::vector<int>& owner, double step) {
    for (int l = 0; l < layers_; ++l) {
      LayerDual& dual = duals_[l];
      std::vector<double> load(classes_.attention), traffic(p_, 0.0);
      const std::vector<double>& tokens = load_.expert_tokens[l];
      for (int e = 0; e < experts_; ++e) {
        int k = owner[static_cast<size_t>(l) * experts_ + e];
        load[k] += cost_[l][static_cast<size_t>(e) * k_ + k];
        for (int p = 0; p < p_; ++p) traffic[p] += classes_.port[k][p] * tokens[e];
      }
      multiplicativeUpdate(load, traffic, step, &dual);
    }
  }

  /// The best memory prices for the current layer weights. For fixed
  /// weights the mu part of the dual is the dual of a transportation
  /// problem: every (layer, expert) to one class at its dual cost, at most
  /// the class's slots each. Solved exactly by successive shortest paths on
  /// the small graph of classes, where an edge a -> b costs the cheapest
  /// move of an expert from a to b; mu_k * B is then the cheapest chain of
  /// moves that frees a slot in class k.
  double solveMemoryPrices(std::vector<int>* assignment) {
    double bytes = cm_.expertBytes();
    size_t items = static_cast<size_t>(layers_) * experts_;
    std::vector<double> value(items * k_);
    for (int l = 0; l < layers_; ++l) {
      std::vector<double> price = portPrices(duals_[l]);
      const std::vector<double>& tokens = load_.expert_tokens[l];
      for (int e = 0; e < experts_; ++e) {
        const double* c = &cost_[l][static_cast<size_t>(e) * k_];
        double* v = &value[(static_cast<size_t>(l) * experts_ + e) * k_];
        for (int k = 0; k < k_; ++k) v[k] = duals_[l].w[k] * c[k] + tokens[e] * price[k];
      }
    }
    std::vector<int64_t> count(k_, 0);
    std::vector<int> owner(items);
    using Entry = std::pair<double, uint32_t>;
    std::vector<std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>>> moves(
        static_cast<size_t>(k_) * k_);
    auto enqueue = [&](size_t item) {
      int a = owner[item];
      const double* v = &value[item * k_];
      for (int b = 0; b < k_; ++b) {
        if (b != a) moves[a * k_ + b].emplace(v[b] - v[a], static_cast<uint32_t>(item));
      }
    };
    for (size_t item = 0; item < items; ++item) {
      const double* v = &value[item * k_];
      owner[item] = static_cast<int>(std::min_element(v, v + k_) - v);
      ++count[owner[item]];
      enqueue(item);
    }
    std::vector<double> cost(static_cast<size_t>(k_) * k_), dist(k_);
    std::vector<uint32_t> via(static_cast<size_t>(k_) * k_);
    std::vector<int> pred(k_);
    auto edges = [&] {
      for (int a = 0; a < k_; ++a) {
        for (int b = 0; b < k_; ++b) {
          auto& heap = moves[a * k_ + b];
          while (!heap.empty() && owner[heap.top().second] != a) heap.pop();
          cost[a * k_ + b] = (a == b || heap.empty()) ? INFINITY : heap.top().first;
          if (a != b && !heap.empty()) via[a * k_ + b] = heap.top().second;
        }
      }
    };
    // Rounding can leave cycles a hair below zero cost; a tolerance keeps
    // them from looking like improvements.
    double eps = 1e-12 * bytes * std::max({mu_[0], 1e-30});
    for (size_t item = 0; item < items && item < 64; ++item) eps = std::max(eps, 1e-12 * std::fabs(value[item * k_]));
    auto shortest = [&](int source) {
      std::fill(dist.begin(), dist.end(), INFINITY);
      std::fill(pred.begin(), pred.end(), -1);
      dist[source] = 0;
      for (int pass = 0; pass < k_; ++pass) {
        bool relaxed = false;
        for (int a = 0; a < k_; ++a) {
          if (std::isinf(dist[a])) continue;
          for (int b = 0; b < k_; ++b) {
            if (dist[a] + cost[a * k_ + b] < dist[b] - eps) {
              dist[b] = dist[a] + cost[a * k_ + b];
              pred[b] = a;
              relaxed = true;
            }
          }
        }
        if (!relaxed) break;
      }
    };
    while (true) {
      int source = -1;
      for (int k = 0; k < k_; ++k) {
        if (count[k] > classes_.slots[k]) source = k;
      }
      if (source < 0) break;
      edges();
      shortest(source);
      int target = -1;
      for (int k = 0; k < k_; ++k) {
        if (count[k] < classes_.slots[k] && !std::isinf(dist[k]) && (target < 0 || dist[k] < dist[target])) target = k;
      }
      if (target < 0) break;  // the pool cannot hold the model; planners report that
      std::vector<int> path = {target};
      while (path.back() != source && pred[path.back()] >= 0 && static_cast<int>(path.size()) <= k_) {
        path.push_back(pred[path.back()]);
      }
      // A cycle in the predecessors means rounding broke optimality; the
      // prices found so far still give a valid (if looser) bound.
      if (path.back() != source) break;
      for (size_t h = 0; h + 1 < path.size(); ++h) {
        int b = path[h], a = path[h + 1];
        uint32_t item = via[a * k_ + b];
        owner[item] = b;
        --count[a];
        ++count[b];
        enqueue(item);
      }
    }
    edges();
    std::vector<double> free_cost(k_, INFINITY);
    for (int k = 0; k < k_; ++k) {
      if (count[k] < classes_.slots[k]) free_cost[k] = 0;
    }
    for (int pass = 0; pass < k_; ++pass) {
      for (int a = 0; a < k_; ++a) {
        for (int b = 0; b < k_; ++b) free_cost[a] = std::min(free_cost[a], cost[a * k_ + b] + free_cost[b]);
      }
    }
    for (int k = 0; k < k_; ++k) mu_[k] = std::isinf(free_cost[k]) ? 0.0 : std::max(0.0, free_cost[k]) / bytes;
    *assignment = owner;
    double total = 0;
    for (int l = 0; l < layers_; ++l) total += exactValue(l, duals_[l]);
    for (int k = 0; k < k_; ++k) total -= mu_[k] * classes_.slots[k] * bytes;
    return total;
  }

  const CostModel& cm_;
  const LoadProfile& load_;
  Classes classes_;
  int k_ = 0, p_ = 0, layers_ = 0, experts_ = 0;
  bool latency_ = true;
  std::vector<std::vector<double>> cost_;  // [layer][expert * classes + class]
  std::vector<std::vector<double>> tau_;   // [layer][expert] smoothing scale
  std::vector<double> mu_;                 // memory price per byte, per class
  std::vector<LayerDual> duals_;
};

}  // namespace

LowerBound lowerBound(const CostModel& cm, const LoadProfile& load, const LowerBoundOptions& options) {
  LowerBound result;
  result.fixed_seconds = cm.fixedSeconds();
  BoundSearch search(cm, load);
  result.seconds = result.fixed_seconds + search.run(options, &result.rounds);
  // Under the latency objective a layer also pays the dispatch/combine
  // latency of the devices it uses; every layer uses at least one device
  // that can hold experts, so the smallest such latency is unavoidable.
  if (cm.options().objective == Objective::kLatency) {
    double least = INFINITY;
    for (int d = 0; d < cm.numDevices(); ++d) {
      if (cm.live(d) && cm.expertSlots(d) > 0) least = std::min(least, cm.exchangeLatency(d));
    }
    if (std::isfinite(least)) result.seconds += least * load.numLayers();
  }
  return result;
}

}  // namespace hexmoe::scheduler
