// Token shares: given where an expert's replicas are, split its tokens so
// that the devices holding them finish at the same time.
#include <algorithm>
#include <cmath>

#include "runtime/scheduler/planner_internal.h"

namespace hexmoe::scheduler::detail {

void balanceShares(const CostModel& cm, double tokens, ExpertReplicas* replicas, LayerLoad* state) {
  ExpertReplicas& rs = *replicas;
  size_t n = rs.size();
  if (n == 0) return;
  if (n == 1) {
    state->setTokens(rs[0].device, rs[0].share * tokens, tokens);
    rs[0].share = 1.0;
    return;
  }
  for (const Replica& r : rs) state->setTokens(r.device, r.share * tokens, 0.0);
  if (tokens <= 0) {
    for (Replica& r : rs) r.share = 1.0 / n;
    return;
  }
  // Each device's finish time without this expert; the level tau at which
  // the replicas together absorb all tokens is found by bisection. A single
  // replica taking everything bounds tau from above.
  std::vector<double> base(n);
  double lo = INFINITY, hi = INFINITY;
  for (size_t i = 0; i < n; ++i) {
    base[i] = state->device(rs[i].device);
    lo = std::min(lo, base[i]);
    hi = std::min(hi, base[i] + cm.replicaSeconds(rs[i].device, tokens));
  }
  for (int iteration = 0; iteration < 60 && hi - lo > 1e-12 * hi; ++iteration) {
    double mid = 0.5 * (lo + hi);
    double absorbed = 0;
    for (size_t i = 0; i < n; ++i) absorbed += cm.maxTokensWithin(rs[i].device, mid - base[i]);
    (absorbed >= tokens ? hi : lo) = mid;
  }
  std::vector<double> take(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    take[i] = std::min(tokens, cm.maxTokensWithin(rs[i].device, hi - base[i]));
    total += take[i];
  }
  for (size_t i = 0; i < n; ++i) {
    rs[i].share = total > 0 ? take[i] / total : (i == 0 ? 1.0 : 0.0);
    state->setTokens(rs[i].device, 0.0, rs[i].share * tokens);
  }
}

void balanceAllShares(const CostModel& cm, const std::vector<double>& tokens, LayerPlacement* layer,
                      LayerLoad* state) {
  // Hot experts first: they move the finish times the most.
  std::vector<int> order;
  for (int e = 0; e < static_cast<int>(layer->experts.size()); ++e) {
    if (layer->experts[e].size() > 1) order.push_back(e);
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) { return tokens[a] > tokens[b]; });
  for (int round = 0; round < 3; ++round) {
    for (int e : order) balanceShares(cm, tokens[e], &layer->experts[e], state);
  }
}

void dropIdleReplicas(LayerPlacement* layer) {
  for (ExpertReplicas& rs : layer->experts) {
    if (rs.size() < 2) continue;
    ExpertReplicas kept;
    for (const Replica& r : rs) {
      if (r.share > 1e-9) kept.push_back(r);
    }
    if (kept.empty()) kept.push_back({rs[0].device, 1.0});
    double total = 0;
    for (const Replica& r : kept) total += r.share;
    for (Replica& r : kept) r.share /= total;
    rs = std::move(kept);
  }
}

}  // namespace hexmoe::scheduler::detail
