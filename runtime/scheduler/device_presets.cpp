#include "runtime/scheduler/device_presets.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace hexmoe::scheduler {

const char* deviceClassName(DeviceClass device_class) {
  switch (device_class) {
    case DeviceClass::kGpu: return "gpu";
    case DeviceClass::kCpu: return "cpu";
    case DeviceClass::kNpu: return "npu";
  }
  return "?";
}

// PerDType order: fp32, bf16, fp16, fp8, int8, int4. int4 is weight-only on
// every device here, so it is never native and always takes the dequant path.
const std::vector<DevicePreset>& devicePresets() {
  static const std::vector<DevicePreset> presets = {
      {"h100-sxm", "NVIDIA H100 SXM5 80GB", DeviceClass::kGpu, 80, 3350,
       {67, 989, 989, 1979, 1979, 0}, 5, 16, "nvlink", 450, "NVIDIA H100 datasheet"},
      {"h100-pcie", "NVIDIA H100 PCIe 80GB", DeviceClass::kGpu, 80, 2000,
       {51, 756, 756, 1513, 1513, 0}, 5, 16, "", 0, "NVIDIA H100 datasheet"},
      {"h800-sxm", "NVIDIA H800 SXM5 80GB (NVLink cut to 400 GB/s)", DeviceClass::kGpu, 80, 3350,
       {67, 989, 989, 1979, 1979, 0}, 5, 16, "nvlink", 200, "H100 compute; export NVLink"},
      {"h200-sxm", "NVIDIA H200 SXM 141GB", DeviceClass::kGpu, 141, 4800,
       {67, 989, 989, 1979, 1979, 0}, 5, 16, "nvlink", 450, "NVIDIA H200 datasheet"},
      {"h20", "NVIDIA H20 96GB", DeviceClass::kGpu, 96, 4000, {44, 148, 148, 296, 296, 0}, 5, 16,
       "nvlink", 450, "NVIDIA H20 published specs"},
      {"a100-sxm", "NVIDIA A100 SXM4 80GB", DeviceClass::kGpu, 80, 2039,
       {19.5, 312, 312, 0, 624, 0}, 4, 16, "nvlink", 300, "NVIDIA A100 datasheet; no fp8"},
      {"a800-sxm", "NVIDIA A800 SXM4 80GB (NVLink cut to 400 GB/s)", DeviceClass::kGpu, 80, 2039,
       {19.5, 312, 312, 0, 624, 0}, 4, 16, "nvlink", 200, "A100 compute; export NVLink; no fp8"},
      {"l40s", "NVIDIA L40S 48GB", DeviceClass::kGpu, 48, 864, {91.6, 362, 362, 733, 733, 0}, 4, 16,
       "", 0, "NVIDIA L40S datasheet"},
      {"rtx-4090", "NVIDIA GeForce RTX 4090 24GB", DeviceClass::kGpu, 24, 1008,
       {82.6, 165, 165, 330, 661, 0}, 4, 16, "", 0,
       "Ada whitepaper; bf16 with fp32 accumulate, fp8 with fp16 accumulate"},
      {"mi300x", "AMD Instinct MI300X 192GB", DeviceClass::kGpu, 192, 5300,
       {163, 1307, 1307, 2615, 2615, 0}, 5, 16, "xgmi", 448, "AMD MI300X datasheet"},
      {"mi210", "AMD Instinct MI210 64GB", DeviceClass::kGpu, 64, 1638, {45, 181, 181, 0, 181, 0},
       4, 16, "xgmi", 150, "AMD MI210 datasheet; no fp8"},
      {"hygon-k100-ai", "Hygon DCU K100-AI 64GB", DeviceClass::kGpu, 64, 896,
       {49, 196, 196, 0, 392, 0}, 4, 16, "", 0,
       "approximate, from press figures; calibrate before trusting; no fp8"},
      {"ascend-910b", "Huawei Ascend 910B 64GB (planning only)", DeviceClass::kNpu, 64, 1600,
       {75, 313, 313, 0, 626, 0}, 4, 16, "hccs", 196,
       "approximate, from press figures; no fp8"},
      {"cpu-xeon-8480", "Intel Xeon Platinum 8480+ socket, 8ch DDR5-4800, AMX", DeviceClass::kCpu,
       512, 307, {7.2, 109, 0, 0, 218, 0}, 0, 0, "upi", 60,
       "56 cores x 1.9 GHz AMX; memory size is the socket's DIMMs, set it per pool"},
      {"cpu-epyc-9654", "AMD EPYC 9654 socket, 12ch DDR5-4800, AVX-512 BF16", DeviceClass::kCpu, 768,
       461, {7.4, 14.7, 0, 0, 29.5, 0}, 0, 0, "xgmi", 64,
       "96 cores x 2.4 GHz; memory size is the socket's DIMMs, set it per pool"},
  };
  return presets;
}

const DevicePreset* findDevicePreset(const std::string& raw) {
  std::string name = raw;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  static const std::pair<const char*, const char*> aliases[] = {
      {"h100", "h100-sxm"},  {"h800", "h800-sxm"},        {"h200", "h200-sxm"},
      {"a100", "a100-sxm"},  {"a800", "a800-sxm"},        {"4090", "rtx-4090"},
      {"dcu", "hygon-k100-ai"}, {"hygon", "hygon-k100-ai"}, {"k100", "hygon-k100-ai"},
      {"910b", "ascend-910b"}, {"ascend", "ascend-910b"}, {"cpu", "cpu-xeon-8480"},
      {"xeon", "cpu-xeon-8480"}, {"epyc", "cpu-epyc-9654"},
  };
  for (const auto& [alias, target] : aliases) {
    if (name == alias) {
      name = target;
      break;
    }
  }
  for (const DevicePreset& preset : devicePresets()) {
    if (name == preset.name) return &preset;
  }
  return nullptr;
}

ClassDefaults classDefaults(DeviceClass device_class) {
  switch (device_class) {
    case DeviceClass::kGpu: return {0.80, 0.70, 0.90, 0.60, 5.0};
    case DeviceClass::kNpu: return {0.70, 0.60, 0.90, 0.60, 10.0};
    // AMX and AVX-512 GEMMs sustain a small part of peak; a fork/join of the
    // thread pool per layer costs more than a GPU kernel launch.
    case DeviceClass::kCpu: return {0.70, 0.35, 0.80, 0.50, 10.0};
  }
  return {0.8, 0.7, 0.9, 0.6, 5.0};
}

double pcieGbps(int generation, int lanes) {
  // Per lane, per direction, after line encoding.
  double per_lane = 0;
  switch (generation) {
    case 3: per_lane = 0.985; break;
    case 4: per_lane = 1.969; break;
    case 5: per_lane = 3.938; break;
    case 6: per_lane = 7.563; break;
    default: per_lane = 0;
  }
  return per_lane * lanes;
}

}  // namespace hexmoe::scheduler
