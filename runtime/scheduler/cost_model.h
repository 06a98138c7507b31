// The cost model every algorithm, the lower bound and the simulator share.
//
// Per MoE layer l and device d (equations in docs/scheduler.md):
//   replica time   c_d(n) = max(p(n) * B / bw_d, n * f / flops_d),  p(n) = 1 - e^-n
//   device load    L_ld   = A_d + sum of its replicas' c_d + o_d (if it hosts any)
//   exchange       X_l    = max over ports of bytes / port bandwidth, + path latency
//   layer time     t_l    = max_d L_ld + X_l            (latency objective)
//                         = max(max_d L_ld, X_l)         (throughput objective: overlapped)
//   step time      sum_l t_l + dense layers + LM head
// where n is a replica's expected token copies, B and f an expert's bytes and
// FLOPs per token, A_d the attention and shared-expert time of an attention
// device, o_d a fixed per-layer launch cost. p(n) is the chance that a replica
// receives at least one token (Poisson), since an untouched expert is not read.
#ifndef HEXMOE_RUNTIME_SCHEDULER_COST_MODEL_H_
#define HEXMOE_RUNTIME_SCHEDULER_COST_MODEL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/scheduler/load.h"
#include "runtime/scheduler/model.h"
#include "runtime/scheduler/pool.h"
#include "runtime/base/status.h"

namespace hexmoe::scheduler {

enum class Objective { kLatency, kThroughput };
const char* objectiveName(Objective objective);

/// KV-cache tokens an attention read sees are at most this.
constexpr double kMaxContextTokens = 1e9;

struct CostOptions {
  Objective objective = Objective::kLatency;
  double tokens_per_step = 64;  // tokens in one step (the decode batch, or a prefill chunk); <= kMaxTokensPerStep
  double context_tokens = 2048; // KV-cache length each attention read sees; <= kMaxContextTokens
};

/// A port is one direction-agnostic link endpoint whose bandwidth the
/// transfers through it share: a device's PCIe link, its NVLink/xGMI, a node's NIC.
struct Port {
  std::string name;
  double seconds_per_byte = 0;
  int device = -1;  // the device it belongs to; -1 for a node's network port
};

class CostModel {
 public:
  /// `attention_devices` empty: the pool's list, else the fastest accelerators.
  static StatusOr<CostModel> build(const Pool& pool, const ModelShape& model,
                                   const CostOptions& options,
                                   std::vector<int> attention_devices = {});

  const Pool& pool() const { return pool_; }
  const ModelShape& model() const { return model_; }
  const CostOptions& options() const { return options_; }
  int numDevices() const { return pool_.size(); }
  bool live(int d) const { return !pool_.devices[d].lost; }

  // --- Routed experts --------------------------------------------------------
  double expertBytes() const { return expert_bytes_; }
  /// Expected time of one replica receiving `tokens` expected token copies.
  double replicaSeconds(int d, double tokens) const;
  /// Time of one replica receiving exactly `tokens` copies (simulator).
  double replicaSecondsForCount(int d, uint32_t tokens) const;
  /// The most expected tokens a replica on `d` takes within `seconds`.
  double maxTokensWithin(int d, double seconds) const;
  double launchSeconds(int d) const { return devices_[d].launch_s; }
  double bytesPerSecond(int d) const { return devices_[d].bytes_per_s; }
  double flopsPerSecond(int d) const { return devices_[d].flops_per_s; }
  bool nativeWeights(int d) const { return devices_[d].native; }

  // --- Attention, shared experts, dense layers ----------------------------------
  const std::vector<int>& attentionDevices() const { return attention_; }
  bool isAttentionDevice(int d) const { return devices_[d].attention_share > 0; }
  double attentionShare(int d) const { return devices_[d].attention_share; }
  /// A_d: attention + router + shared experts of one MoE layer on device d.
  double attentionSeconds(int d) const { return devices_[d].attention_s; }
  /// Dense layers and the LM head: the same for every placement.
  double fixedSeconds() const { return fixed_s_; }

  // --- Token exchange ----------------------------------------------------------
  int numPorts() const { return static_cast<int>(ports_.size()); }
  const Port& port(int q) const { return ports_[q]; }
  /// Seconds added to each port per expected token copy served on `d`
  /// (dispatch and combine, from every attention device in its share).
  const std::vector<std::pair<int, double>>& portCoefficients(int d) const {
    return devices_[d].ports;
  }
  /// Dispatch + combine latency when `d` serves tokens.
  double exchangeLatency(int d) const { return devices_[d].latency_s; }

  // --- Memory -------------------------------------------------------------------
  double nonExpertBytes(int d) const { return devices_[d].non_expert_bytes; }
  double expertCapacityBytes(int d) const { return devices_[d].expert_capacity_bytes; }
  /// Whole experts that fit on `d` over all layers.
  int64_t expertSlots(int d) const { return devices_[d].slots; }

  /// Combines a layer's parts by the objective.
  double layerSeconds(double device_max, double port_max, double latency) const {
    return options_.objective == Objective::kLatency ? device_max + port_max + latency
                                                     : std::max(device_max, port_max);
  }

 private:
  struct DeviceCost {
    double bytes_per_s = 0;
    double flops_per_s = 0;
    double kv_bytes_per_s = 0;
    bool native = true;
    double launch_s = 0;
    double attention_share = 0;
    double attention_s = 0;
    double non_expert_bytes = 0;
    double expert_capacity_bytes = 0;
    int64_t slots = 0;
    double latency_s = 0;
    std::vector<std::pair<int, double>> ports;
  };

  double roofline(int d, double bytes, double flops) const;
  Status chooseAttention(std::vector<int> requested);
  void buildExchange();

  Pool pool_;
  ModelShape model_;
  CostOptions options_;
  std::vector<DeviceCost> devices_;
  std::vector<int> attention_;
  std::vector<Port> ports_;
  double expert_bytes_ = 0;
  double expert_flops_ = 0;
  double fixed_s_ = 0;
};

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_COST_MODEL_H_
