#include "runtime/scheduler/calibration.h"

namespace hexmoe::scheduler {

StatusOr<Calibration> parseCalibration(const std::string& text, const std::string& source) {
  Json root;
  HEXMOE_RETURN_IF_ERROR(parseJsonText(text, source, &root));
  HEXMOE_ASSIGN_OR_RETURN(JsonFields top, JsonFields::of(source, root, ""));
  HEXMOE_RETURN_IF_ERROR(
      top.onlyKnown({"format", "version", "source", "link_efficiency", "devices"}));
  std::string format;
  HEXMOE_RETURN_IF_ERROR(top.string("format", &format));
  if (format != "hexmoe-calibration") return top.errorAt("format", "expected \"hexmoe-calibration\"");
  Calibration calibration;
  if (top.has("link_efficiency")) {
    double v = 0;
    HEXMOE_RETURN_IF_ERROR(top.number("link_efficiency", &v, JsonFields::Range::kFraction));
    calibration.link_efficiency = v;
  }
  const Json* devices = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.child("devices", Json::value_t::object, &devices));
  for (auto it = devices->begin(); it != devices->end(); ++it) {
    HEXMOE_ASSIGN_OR_RETURN(
        JsonFields f, JsonFields::of(source, it.value(), joinJsonPath("devices", it.key())));
    HEXMOE_RETURN_IF_ERROR(f.onlyKnown({"bandwidth_efficiency", "compute_efficiency",
                                        "dequant_bandwidth_factor", "dequant_compute_factor",
                                        "launch_overhead_us"}));
    DeviceFactors factors;
    auto read = [&](const char* key, std::optional<double>* out, JsonFields::Range range) -> Status {
      if (!f.has(key)) return okStatus();
      double v = 0;
      HEXMOE_RETURN_IF_ERROR(f.number(key, &v, range));
      *out = v;
      return okStatus();
    };
    using R = JsonFields::Range;
    HEXMOE_RETURN_IF_ERROR(read("bandwidth_efficiency", &factors.bandwidth_efficiency, R::kFraction));
    HEXMOE_RETURN_IF_ERROR(read("compute_efficiency", &factors.compute_efficiency, R::kFraction));
    HEXMOE_RETURN_IF_ERROR(read("dequant_bandwidth_factor", &factors.dequant_bandwidth_factor, R::kFraction));
    HEXMOE_RETURN_IF_ERROR(read("dequant_compute_factor", &factors.dequant_compute_factor, R::kFraction));
    HEXMOE_RETURN_IF_ERROR(read("launch_overhead_us", &factors.launch_overhead_us, R::kNonNegative));
    calibration.devices[it.key()] = factors;
  }
  return calibration;
}

StatusOr<Calibration> loadCalibration(const std::string& path) {
  HEXMOE_ASSIGN_OR_RETURN(std::string text, readTextFile(path));
  return parseCalibration(text, path);
}

int applyCalibration(const Calibration& calibration, Pool* pool) {
  if (calibration.link_efficiency) pool->link_efficiency = *calibration.link_efficiency;
  int applied = 0;
  for (DeviceSpec& d : pool->devices) {
    bool any = false;
    // Kind first, then name, so that a device's own entry wins.
    for (const std::string& key : {d.kind, d.name}) {
      auto it = calibration.devices.find(key);
      if (it == calibration.devices.end()) continue;
      const DeviceFactors& f = it->second;
      if (f.bandwidth_efficiency) d.bandwidth_efficiency = *f.bandwidth_efficiency;
      if (f.compute_efficiency) d.compute_efficiency = *f.compute_efficiency;
      if (f.dequant_bandwidth_factor) d.dequant_bandwidth_factor = *f.dequant_bandwidth_factor;
      if (f.dequant_compute_factor) d.dequant_compute_factor = *f.dequant_compute_factor;
      if (f.launch_overhead_us) d.launch_overhead_us = *f.launch_overhead_us;
      any = true;
    }
    applied += any ? 1 : 0;
  }
  return applied;
}

}  // namespace hexmoe::scheduler
