#include "runtime/scheduler/cost_model.h"

#include <algorithm>
#include <cmath>

namespace hexmoe::scheduler {

namespace {
// Per-transfer latency of the dispatch/combine kernels over each kind of path.
constexpr double kPeerLatencyS = 2e-6;
constexpr double kHostLatencyS = 4e-6;
constexpr double kNetworkLatencyS = 8e-6;
constexpr double kLocalLatencyS = 1e-6;
}  // namespace

const char* objectiveName(Objective objective) {
  return objective == Objective::kLatency ? "latency" : "throughput";
}

double CostModel::roofline(int d, double bytes, double flops) const {
  return std::max(bytes / devices_[d].bytes_per_s, flops / devices_[d].flops_per_s);
}

double CostModel::replicaSeconds(int d, double tokens) const {
  if (tokens <= 0) return 0;
  const DeviceCost& c = devices_[d];
  double touched = -std::expm1(-tokens);
  return std::max(touched * expert_bytes_ / c.bytes_per_s, tokens * expert_flops_ / c.flops_per_s);
}

double CostModel::replicaSecondsForCount(int d, uint32_t tokens) const {
  if (tokens == 0) return 0;
  const DeviceCost& c = devices_[d];
  return std::max(expert_bytes_ / c.bytes_per_s, tokens * expert_flops_ / c.flops_per_s);
}

double CostModel::maxTokensWithin(int d, double seconds) const {
  if (seconds <= 0) return 0;
  const DeviceCost& c = devices_[d];
  double read_fraction = seconds * c.bytes_per_s / expert_bytes_;
  double by_bytes = read_fraction >= 1 ? INFINITY : -std::log1p(-read_fraction);
  double by_flops = seconds * c.flops_per_s / expert_flops_;
  return std::min(by_bytes, by_flops);
}

Status CostModel::chooseAttention(std::vector<int> requested) {
  if (requested.empty()) {
    for (const std::string& name : pool_.attention_devices) requested.push_back(pool_.findDevice(name));
  }
  double non_expert = model_.nonExpertBytes();
  if (requested.empty()) {
    // Attention reads all its weights every step whatever its batch, so it goes
    // to the devices with the fastest memory; data-parallel over those of them
    // within 10% of the best, as DeepSeek-style serving does.
    bool any_accelerator = false;
    for (int d = 0; d < numDevices(); ++d) {
      any_accelerator = any_accelerator ||
                        (live(d) && pool_.devices[d].device_class != DeviceClass::kCpu &&
                         pool_.usableBytes(d) > non_expert);
    }
    double best = 0;
    for (int d = 0; d < numDevices(); ++d) {
      bool candidate = live(d) && pool_.usableBytes(d) > non_expert &&
                       (!any_accelerator || pool_.devices[d].device_class != DeviceClass::kCpu);
      if (candidate) best = std::max(best, devices_[d].bytes_per_s);
    }
    for (int d = 0; d < numDevices() && best > 0; ++d) {
      bool candidate = live(d) && pool_.usableBytes(d) > non_expert &&
                       (!any_accelerator || pool_.devices[d].device_class != DeviceClass::kCpu);
      if (candidate && devices_[d].bytes_per_s >= 0.9 * best) requested.push_back(d);
    }
    if (requested.empty()) {
      return resourceExhausted("no device can hold the model's attention, dense and embedding weights (" +
                        std::to_string(non_expert / 1e9) + " GB)");
    }
  }
  std::sort(requested.begin(), requested.end());
  requested.erase(std::unique(requested.begin(), requested.end()), requested.end());
  for (int d : requested) {
    if (d < 0 || d >= numDevices()) return invalidArgument("attention device index out of range");
    if (!live(d)) return invalidArgument("attention device " + pool_.devices[d].name + " is lost");
  }
  attention_ = requested;
  for (int d : attention_) devices_[d].attention_share = 1.0 / attention_.size();
  return okStatus();
}

void CostModel::buildExchange() {
  std::vector<int> host(numDevices(), -1), peer(numDevices(), -1), net;
  double link_eff = pool_.link_efficiency;
  for (int d = 0; d < numDevices(); ++d) {
    const DeviceSpec& s = pool_.devices[d];
    if (s.host_link_gbps > 0) {
      host[d] = numPorts();
      ports_.push_back({s.name + ".pcie", 1.0 / (s.host_link_gbps * 1e9 * link_eff), d});
    }
    if (s.peer_link_gbps > 0 && !s.peer_group.empty()) {
      peer[d] = numPorts();
      ports_.push_back({s.name + "." + s.peer_link_type, 1.0 / (s.peer_link_gbps * 1e9 * link_eff), d});
    }
  }
  if (pool_.numNodes() > 1) {
    for (int n = 0; n < pool_.numNodes(); ++n) {
      net.push_back(numPorts());
      ports_.push_back({"node" + std::to_string(n) + ".net", 1.0 / (pool_.network_gbps * 1e9 * link_eff), -1});
    }
  }
  double copy_bytes = 2.0 * model_.activationBytesPerToken();  // dispatch + combine
  for (int d = 0; d < numDevices(); ++d) {
    std::vector<double> coefficient(numPorts(), 0.0);
    double latency = 0;
    for (int a : attention_) {
      if (a == d) continue;
      const DeviceSpec& sa = pool_.devices[a];
      const DeviceSpec& sd = pool_.devices[d];
      std::vector<int> path;
      double path_latency;
      if (sa.node == sd.node && !sa.peer_group.empty() && sa.peer_group == sd.peer_group &&
          peer[a] >= 0 && peer[d] >= 0) {
        path = {peer[a], peer[d]};
        path_latency = kPeerLatencyS;
      } else if (sa.node == sd.node) {
        path = {host[a], host[d]};
        path_latency = (host[a] < 0 && host[d] < 0) ? kLocalLatencyS : kHostLatencyS;
      } else {
        path = {host[a], net[sa.node], net[sd.node], host[d]};
        path_latency = kNetworkLatencyS;
      }
      for (int q : path) {
        if (q >= 0) coefficient[q] += devices_[a].attention_share * copy_bytes * ports_[q].seconds_per_byte;
      }
      latency = std::max(latency, path_latency);
    }
    devices_[d].latency_s = 2.0 * latency;
    for (int q = 0; q < numPorts(); ++q) {
      if (coefficient[q] > 0) devices_[d].ports.emplace_back(q, coefficient[q]);
    }
  }
}

StatusOr<CostModel> CostModel::build(const Pool& pool, const ModelShape& model,
                                     const CostOptions& options, std::vector<int> attention_devices) {
  if (pool.devices.empty()) return invalidArgument("the pool has no devices");
  // Negated comparisons: NaN fails them too.
  if (!(options.tokens_per_step > 0 && options.tokens_per_step <= kMaxTokensPerStep)) {
    return invalidArgument("tokens per step must be in (0, 1e9], got " + std::to_string(options.tokens_per_step));
  }
  if (!(options.context_tokens >= 0 && options.context_tokens <= kMaxContextTokens)) {
    return invalidArgument("context tokens must be in [0, 1e9], got " + std::to_string(options.context_tokens));
  }
  CostModel cm;
  cm.pool_ = pool;
  cm.model_ = model;
  cm.options_ = options;
  cm.expert_bytes_ = model.expertBytes();
  cm.expert_flops_ = model.expertFlopsPerToken();
  cm.devices_.resize(pool.devices.size());
  int w = static_cast<int>(model.weight_dtype);
  for (int d = 0; d < cm.numDevices(); ++d) {
    const DeviceSpec& s = pool.devices[d];
    DeviceCost& c = cm.devices_[d];
    // int4 is weight-only everywhere: always dequantised to a 16-bit type.
    c.native = model.weight_dtype != DType::kInt4 && s.tflops[w] > 0;
    double peak = s.tflops[w];
    if (!c.native) {
      peak = s.tflops[static_cast<int>(DType::kBf16)];
      if (peak <= 0) peak = s.tflops[static_cast<int>(DType::kFp16)];
      if (peak <= 0) peak = s.tflops[static_cast<int>(DType::kFp32)];
      if (peak <= 0) peak = *std::max_element(s.tflops.begin(), s.tflops.end());
    }
    double dq_compute = c.native ? 1.0 : s.dequant_compute_factor;
    double dq_bytes = c.native ? 1.0 : s.dequant_bandwidth_factor;
    c.flops_per_s = peak * 1e12 * s.compute_efficiency * dq_compute;
    c.bytes_per_s = s.memory_bandwidth_gbps * 1e9 * s.bandwidth_efficiency * dq_bytes;
    c.kv_bytes_per_s = s.memory_bandwidth_gbps * 1e9 * s.bandwidth_efficiency;
    c.launch_s = s.launch_overhead_us * 1e-6;
    if (!(c.flops_per_s > 0) || !(c.bytes_per_s > 0)) {
      return invalidArgument("device " + s.name + " has no usable bandwidth or compute");
    }
  }
  HEXMOE_RETURN_IF_ERROR(cm.chooseAttention(std::move(attention_devices)));

  // Attention, routers and shared experts of one MoE layer; dense layers; LM head.
  double wb = weightBytesPerParam(model.weight_dtype);
  double router_params = static_cast<double>(model.num_experts) * model.hidden_size;
  double shared_params = 3.0 * model.hidden_size * model.shared_intermediate_size;
  double dense_params = 3.0 * model.hidden_size * model.dense_intermediate_size;
  double head_params = static_cast<double>(model.vocab_size) * model.hidden_size;
  double worst_dense = 0, worst_head = 0;
  for (int a : cm.attention_) {
    DeviceCost& c = cm.devices_[a];
    double n = options.tokens_per_step * c.attention_share;
    double kv_s = n * options.context_tokens * model.kv_bytes_per_token_per_layer / c.kv_bytes_per_s;
    double attn_flops = 2.0 * model.attention_params_per_layer * n +
                        n * options.context_tokens * model.attention_flops_per_token_per_context;
    double attention = std::max(model.attention_params_per_layer * wb / c.bytes_per_s + kv_s,
                                attn_flops / c.flops_per_s);
    double router = cm.roofline(a, router_params * 2.0, 2.0 * router_params * n);
    double shared = shared_params > 0 ? cm.roofline(a, shared_params * wb, 2.0 * shared_params * n) : 0;
    c.attention_s = attention + router + shared + c.launch_s;
    double dense = attention + (dense_params > 0 ? cm.roofline(a, dense_params * wb, 2.0 * dense_params * n) : 0) +
                   c.launch_s;
    worst_dense = std::max(worst_dense, dense);
    worst_head = std::max(worst_head, cm.roofline(a, head_params * 2.0, 2.0 * head_params * n));
  }
  cm.fixed_s_ = model.numDenseLayers() * worst_dense + worst_head;

  for (int d = 0; d < cm.numDevices(); ++d) {
    DeviceCost& c = cm.devices_[d];
    c.non_expert_bytes = c.attention_share > 0 ? model.nonExpertBytes() : 0.0;
    c.expert_capacity_bytes = cm.live(d) ? std::max(0.0, pool.usableBytes(d) - c.non_expert_bytes) : 0.0;
    if (c.attention_share > 0 && pool.usableBytes(d) < c.non_expert_bytes) {
      return resourceExhausted("attention device " + pool.devices[d].name + " cannot hold the non-expert weights (" +
                        std::to_string(c.non_expert_bytes / 1e9) + " GB needed, " +
                        std::to_string(pool.usableBytes(d) / 1e9) + " GB usable)");
    }
    c.slots = static_cast<int64_t>(std::floor(c.expert_capacity_bytes / cm.expert_bytes_ + 1e-9));
  }
  cm.buildExchange();
  return cm;
}

}  // namespace hexmoe::scheduler
