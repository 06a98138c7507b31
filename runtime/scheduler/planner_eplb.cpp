// DeepSeek's Expert Parallelism Load Balancer (EPLB), re-implemented from
// its published description as the baseline:
//   1. pack expert groups onto nodes, equal numbers of groups per node,
//      balancing token counts (when the groups divide evenly over nodes);
//   2. within each node, replicate experts into the node's physical slots,
//      each extra slot going to the expert with the most tokens per replica;
//   3. pack the physical experts onto the node's GPUs, equal slots per GPU,
//      balancing token counts.
// Otherwise the same without step 1 (its "global" policy). Tokens of an
// expert are split evenly over its replicas. EPLB balances token counts and
// assumes identical GPUs; it knows nothing of device speed or memory.
// When equal slots do not fit some device's memory, each device's slots are
// capped by its memory instead (noted in the plan): the nearest EPLB can
// come to such a pool.
#include <algorithm>
#include <map>
#include <numeric>

#include "runtime/scheduler/planner_internal.h"

namespace hexmoe::scheduler::detail {
namespace {

/// Heaviest item first onto the lightest pack that still has room.
std::vector<int> balancedPacking(const std::vector<double>& weights, const std::vector<int>& capacity) {
  std::vector<int> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  // Ties by index keep the order deterministic (a stable sort without its buffer).
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return weights[a] != weights[b] ? weights[a] > weights[b] : a < b;
  });
  std::vector<double> load(capacity.size(), 0.0);
  std::vector<int> used(capacity.size(), 0), pack(weights.size(), -1);
  for (int item : order) {
    int best = -1;
    for (size_t p = 0; p < capacity.size(); ++p) {
      if (used[p] < capacity[p] && (best < 0 || load[p] < load[best])) best = static_cast<int>(p);
    }
    pack[item] = best;
    load[best] += weights[item];
    ++used[best];
  }
  return pack;
}

/// Replica counts: each of the `physical - n` extra slots goes to the expert
/// with the largest load per replica.
std::vector<int> replicateExperts(const std::vector<double>& weights, int physical) {
  std::vector<int> count(weights.size(), 1);
  for (int extra = static_cast<int>(weights.size()); extra < physical; ++extra) {
    size_t best = 0;
    for (size_t e = 1; e < weights.size(); ++e) {
      if (weights[e] / count[e] > weights[best] / count[best]) best = e;
    }
    ++count[best];
  }
  return count;
}

/// Replicates `experts` into the slots of `devices` and packs them there.
void replicateAndPack(const std::vector<int>& experts, const std::vector<double>& tokens,
                      const std::vector<int>& devices, const std::vector<int>& slots,
                      LayerPlacement* layer) {
  std::vector<double> weights;
  for (int e : experts) weights.push_back(tokens[e]);
  int physical = std::accumulate(slots.begin(), slots.end(), 0);
  std::vector<int> count = replicateExperts(weights, physical);
  std::vector<int> item_expert;
  std::vector<double> item_weight;
  for (size_t k = 0; k < experts.size(); ++k) {
    for (int c = 0; c < count[k]; ++c) {
      item_expert.push_back(static_cast<int>(k));
      item_weight.push_back(weights[k] / count[k]);
    }
  }
  std::vector<int> pack = balancedPacking(item_weight, slots);
  for (size_t item = 0; item < pack.size(); ++item) {
    int k = item_expert[item];
    int device = devices[pack[item]];
    ExpertReplicas& rs = layer->experts[experts[k]];
    // Two physical copies on one device serve as one replica there.
    auto same = std::find_if(rs.begin(), rs.end(), [&](const Replica& r) { return r.device == device; });
    if (same != rs.end()) same->share += 1.0 / count[k];
    else rs.push_back({device, 1.0 / count[k]});
  }
}

}  // namespace

StatusOr<EplbLayout> eplbLayout(const CostModel& cm, const std::vector<std::vector<int>>& caps,
                                int redundant_per_device) {
  EplbLayout layout;
  for (int d = 0; d < cm.numDevices(); ++d) {
    if (cm.live(d)) layout.devices.push_back(d);
  }
  int g = static_cast<int>(layout.devices.size());
  int experts = cm.model().num_experts;
  int layers = static_cast<int>(caps.size());
  int base = (experts + g - 1) / g;
  int equal = 0;
  for (int s : {base + std::max(0, redundant_per_device), base}) {
    bool fits = true;
    for (int d : layout.devices) fits = fits && static_cast<int64_t>(s) * layers <= cm.expertSlots(d);
    if (fits) {
      equal = s;
      break;
    }
  }
  layout.equal_slots = equal > 0;
  layout.slots.assign(layers, std::vector<int>(g, equal));
  if (!layout.equal_slots) {
    int worst = layout.devices[0];
    for (int d : layout.devices) {
      if (cm.expertSlots(d) < cm.expertSlots(worst)) worst = d;
    }
    layout.note = "EPLB's equal slots (" + std::to_string(base) + " per device and layer) do not fit " +
                  cm.pool().devices[worst].name + "'s memory; slots capped per device by memory";
    for (int l = 0; l < layers; ++l) {
      int total = 0;
      for (int k = 0; k < g; ++k) {
        layout.slots[l][k] = std::min(caps[l][layout.devices[k]], base + std::max(0, redundant_per_device));
        total += layout.slots[l][k];
      }
      // Top up from devices with room left until every expert has a slot.
      for (int k = 0; total < experts; k = (k + 1) % g) {
        if (layout.slots[l][k] < caps[l][layout.devices[k]]) {
          ++layout.slots[l][k];
          ++total;
        }
      }
    }
    return layout;
  }
  // Hierarchical when groups divide evenly over nodes with equal device counts
  // (and split the experts evenly, as the model readers require).
  std::map<int, int> per_node;
  for (int d : layout.devices) ++per_node[cm.pool().devices[d].node];
  layout.num_nodes = static_cast<int>(per_node.size());
  layout.num_groups = cm.model().n_group;
  bool even_nodes = true;
  for (const auto& [node, count] : per_node) even_nodes = even_nodes && count == per_node.begin()->second;
  bool even_groups = layout.num_groups >= 1 && experts % layout.num_groups == 0;
  layout.hierarchical = even_nodes && even_groups && layout.num_groups % layout.num_nodes == 0;
  return layout;
}

LayerPlacement planLayerEplb(const CostModel& cm, const std::vector<double>& tokens,
                             const EplbLayout& layout, int layer_index) {
  int experts = cm.model().num_experts;
  LayerPlacement layer;
  layer.experts.assign(experts, {});
  const std::vector<int>& slots = layout.slots[layer_index];
  if (!layout.hierarchical || layout.num_nodes == 1) {
    std::vector<int> all(experts);
    std::iota(all.begin(), all.end(), 0);
    replicateAndPack(all, tokens, layout.devices, slots, &layer);
    return layer;
  }
  // 1. Expert groups onto nodes.
  std::vector<int> nodes;
  for (int d : layout.devices) nodes.push_back(cm.pool().devices[d].node);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  int group_size = experts / layout.num_groups;
  std::vector<double> group_tokens(layout.num_groups, 0.0);
  for (int e = 0; e < experts; ++e) group_tokens[e / group_size] += tokens[e];
  std::vector<int> node_capacity(nodes.size(), layout.num_groups / layout.num_nodes);
  std::vector<int> group_node = balancedPacking(group_tokens, node_capacity);
  // 2-3. Replicate within each node, pack onto its devices.
  for (size_t n = 0; n < nodes.size(); ++n) {
    std::vector<int> node_experts, node_devices, node_slots;
    for (int grp = 0; grp < layout.num_groups; ++grp) {
      if (group_node[grp] != static_cast<int>(n)) continue;
      for (int e = grp * group_size; e < (grp + 1) * group_size; ++e) node_experts.push_back(e);
    }
    for (size_t k = 0; k < layout.devices.size(); ++k) {
      if (cm.pool().devices[layout.devices[k]].node == nodes[n]) {
        node_devices.push_back(layout.devices[k]);
        node_slots.push_back(slots[k]);
      }
    }
    replicateAndPack(node_experts, tokens, node_devices, node_slots, &layer);
  }
  return layer;
}

}  // namespace hexmoe::scheduler::detail
