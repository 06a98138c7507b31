// Measured efficiency factors that replace the cost model's defaults.
//
// A calibration file maps a device name or kind (preset) to the fractions of
// datasheet bandwidth and compute its kernels achieve, e.g. from hexmoe-bench
// runs; see docs/scheduler.md for the format.
#ifndef HEXMOE_RUNTIME_SCHEDULER_CALIBRATION_H_
#define HEXMOE_RUNTIME_SCHEDULER_CALIBRATION_H_

#include <map>
#include <optional>
#include <string>

#include "runtime/scheduler/pool.h"
#include "runtime/base/status.h"

namespace hexmoe::scheduler {

struct DeviceFactors {
  std::optional<double> bandwidth_efficiency;
  std::optional<double> compute_efficiency;
  std::optional<double> dequant_bandwidth_factor;
  std::optional<double> dequant_compute_factor;
  std::optional<double> launch_overhead_us;
};

struct Calibration {
  std::map<std::string, DeviceFactors> devices;  // key: device name or kind
  std::optional<double> link_efficiency;
};

StatusOr<Calibration> parseCalibration(const std::string& text, const std::string& source);
StatusOr<Calibration> loadCalibration(const std::string& path);

/// Overrides the pool's factors: a device's own name first, then its kind.
/// Returns how many devices took at least one factor.
int applyCalibration(const Calibration& calibration, Pool* pool);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_CALIBRATION_H_
