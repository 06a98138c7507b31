// A pool: the devices a model is placed on, their memory, bandwidth, compute
// per dtype, and the links between them. Read from JSON (docs/scheduler.md) or
// from an inline spec such as `4xh100+4xa800+2xcpu`.
#ifndef HEXMOE_RUNTIME_SCHEDULER_POOL_H_
#define HEXMOE_RUNTIME_SCHEDULER_POOL_H_

#include <string>
#include <vector>

#include "runtime/scheduler/device_presets.h"
#include "runtime/scheduler/dtype.h"
#include "runtime/base/json_fields.h"
#include "runtime/base/status.h"

namespace hexmoe::scheduler {

/// The largest pool the scheduler takes, counting lost devices (docs/scheduler.md,
/// "Limits"): per-layer work grows with devices x attention devices, and
/// 4096 identical GPUs all running attention stay within a minute.
constexpr int kMaxPoolDevices = 4096;
/// Node indices are below this.
constexpr int kMaxPoolNodes = 4096;
/// Bounds on a device's quantities, far beyond any hardware, so that what
/// is derived from them (bytes, expert slots, seconds) stays in range.
constexpr double kMaxDeviceMemoryGb = 1e6;     // 1 PB
constexpr double kMaxDeviceGbps = 1e6;         // memory, PCIe, peer and network bandwidth
constexpr double kMaxDeviceTflops = 1e6;       // per dtype
constexpr double kMaxLaunchOverheadUs = 1e6;   // one second

struct DeviceSpec {
  std::string name;  // unique in the pool, e.g. "h100-sxm-0"
  std::string kind;  // the preset it came from, or "custom"; calibration files key on it
  DeviceClass device_class = DeviceClass::kGpu;
  double memory_gb = 0;
  double reserved_gb = -1;  // < 0: the pool's memory_reserve_fraction applies
  double memory_bandwidth_gbps = 0;
  PerDType tflops{};  // dense peak; 0 = the dtype is not native
  int pcie_gen = 0;
  int pcie_lanes = 0;
  double host_link_gbps = 0;  // per direction; 0 = no host link (a CPU socket is the host)
  std::string peer_link_type;
  double peer_link_gbps = 0;  // per direction; 0 = none
  std::string peer_group;     // devices with the same non-empty group talk over peer links
  int node = 0;               // the machine the device sits in
  double bandwidth_efficiency = 0;
  double compute_efficiency = 0;
  double dequant_bandwidth_factor = 0;
  double dequant_compute_factor = 0;
  double launch_overhead_us = 0;
  bool lost = false;  // failed; kept so that device indices stay stable in plans
};

struct Pool {
  std::string name;
  std::vector<DeviceSpec> devices;
  double memory_reserve_fraction = 0.10;  // KV cache, activations, runtime
  double network_gbps = 25;               // per node and direction, between nodes
  double link_efficiency = 0.80;          // achieved / nominal for PCIe, NVLink, network
  std::vector<std::string> attention_devices;  // empty: chosen by the scheduler

  int size() const { return static_cast<int>(devices.size()); }
  int numNodes() const;
  int findDevice(const std::string& name) const;  // -1 when absent
  /// Bytes a device can give to weights after its reserve.
  double usableBytes(int device) const;
};

/// Parses pool JSON; errors name `source` and the field path.
StatusOr<Pool> parsePool(const std::string& text, const std::string& source);

/// `4xh100+4xa800+2xcpu`: counts and preset names joined by '+', one node.
StatusOr<Pool> parsePoolSpec(const std::string& spec);

/// A file path, or an inline spec when no such file exists and it looks like one.
StatusOr<Pool> loadPool(const std::string& path_or_spec);

/// Every device written out in full (no presets), which parsePool reads back.
Json poolToJson(const Pool& pool);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_POOL_H_
