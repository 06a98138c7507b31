// Device presets from published specifications, so a pool file can say
// `{"preset": "h100-sxm", "count": 4}` instead of repeating datasheets.
//
// Figures are vendor datasheet peaks (dense, no sparsity); the cost model's
// efficiency factors turn them into what kernels achieve, and a calibration
// file replaces those factors with measurements.
#ifndef HEXMOE_RUNTIME_SCHEDULER_DEVICE_PRESETS_H_
#define HEXMOE_RUNTIME_SCHEDULER_DEVICE_PRESETS_H_

#include <string>
#include <vector>

#include "runtime/scheduler/dtype.h"

namespace hexmoe::scheduler {

enum class DeviceClass { kGpu, kCpu, kNpu };

const char* deviceClassName(DeviceClass device_class);

struct DevicePreset {
  const char* name;
  const char* description;
  DeviceClass device_class;
  double memory_gb;
  double memory_bandwidth_gbps;
  PerDType tflops;  // dense peak per dtype, 0 where the dtype is not native
  int pcie_gen;     // 0 for a CPU socket: it is the host
  int pcie_lanes;
  const char* peer_link_type;  // "" when the device has none
  double peer_link_gbps;       // per direction
  const char* note;            // where the figures come from, or why approximate
};

/// Every preset, in the order `hexmoe-plan --list-presets` prints them.
const std::vector<DevicePreset>& devicePresets();

/// By name or a short alias ("h100", "a800", "dcu", "cpu", ...); nullptr if unknown.
const DevicePreset* findDevicePreset(const std::string& name);

/// Default efficiency factors by device class (documented in docs/scheduler.md).
struct ClassDefaults {
  double bandwidth_efficiency;      // achieved / peak memory bandwidth for weight streaming
  double compute_efficiency;        // achieved / peak matrix throughput
  double dequant_bandwidth_factor;  // bandwidth kept when weights are dequantised in the GEMM
  double dequant_compute_factor;    // compute kept when weights are dequantised in the GEMM
  double launch_overhead_us;        // fixed cost per layer on a device that hosts experts
};
ClassDefaults classDefaults(DeviceClass device_class);

/// PCIe bandwidth per direction in GB/s before protocol efficiency.
double pcieGbps(int generation, int lanes);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_DEVICE_PRESETS_H_
