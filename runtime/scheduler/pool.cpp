#include "runtime/scheduler/pool.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

namespace hexmoe::scheduler {

int Pool::numNodes() const {
  int nodes = 0;
  for (const DeviceSpec& d : devices) nodes = std::max(nodes, d.node + 1);
  return nodes;
}

int Pool::findDevice(const std::string& device_name) const {
  for (int i = 0; i < size(); ++i) {
    if (devices[i].name == device_name) return i;
  }
  return -1;
}

double Pool::usableBytes(int device) const {
  const DeviceSpec& d = devices[device];
  double reserved = d.reserved_gb >= 0 ? d.reserved_gb : d.memory_gb * memory_reserve_fraction;
  return std::max(0.0, d.memory_gb - reserved) * 1e9;
}

/// Fills the fields a preset provides; the entry's own fields override them later.
static void applyPreset(const DevicePreset& preset, DeviceSpec* d) {
  d->kind = preset.name;
  d->device_class = preset.device_class;
  d->memory_gb = preset.memory_gb;
  d->memory_bandwidth_gbps = preset.memory_bandwidth_gbps;
  d->tflops = preset.tflops;
  d->pcie_gen = preset.pcie_gen;
  d->pcie_lanes = preset.pcie_lanes;
  d->host_link_gbps = pcieGbps(preset.pcie_gen, preset.pcie_lanes);
  d->peer_link_type = preset.peer_link_type;
  d->peer_link_gbps = preset.peer_link_gbps;
}

static void applyClassDefaults(DeviceSpec* d) {
  ClassDefaults defaults = classDefaults(d->device_class);
  d->bandwidth_efficiency = defaults.bandwidth_efficiency;
  d->compute_efficiency = defaults.compute_efficiency;
  d->dequant_bandwidth_factor = defaults.dequant_bandwidth_factor;
  d->dequant_compute_factor = defaults.dequant_compute_factor;
  d->launch_overhead_us = defaults.launch_overhead_us;
}

static Status parseTflops(const JsonFields& entry, DeviceSpec* d) {
  const Json* tflops = nullptr;
  HEXMOE_RETURN_IF_ERROR(entry.optionalChild("tflops", Json::value_t::object, &tflops));
  if (tflops == nullptr) return okStatus();
  std::string path = entry.pathOf("tflops");
  for (auto it = tflops->begin(); it != tflops->end(); ++it) {
    std::optional<DType> dtype = parseDType(it.key());
    if (!dtype) {
      return entry.error(joinJsonPath(path, it.key()),
                         "unknown dtype (known: fp32, bf16, fp16, fp8, int8, int4)");
    }
    double value = 0;
    HEXMOE_RETURN_IF_ERROR(checkJsonNumber(entry.source(), joinJsonPath(path, it.key()),
                                           it.value(), JsonFields::Range::kNonNegative,
                                           &value, kMaxDeviceTflops));
    d->tflops[static_cast<int>(*dtype)] = value;
  }
  return okStatus();
}

static Status parseHostLink(const JsonFields& entry, DeviceSpec* d) {
  const Json* link = nullptr;
  HEXMOE_RETURN_IF_ERROR(entry.optionalChild("host_link", Json::value_t::object, &link));
  if (link == nullptr) return okStatus();
  HEXMOE_ASSIGN_OR_RETURN(JsonFields fields,
                          JsonFields::of(entry.source(), *link, entry.pathOf("host_link")));
  HEXMOE_RETURN_IF_ERROR(fields.onlyKnown({"pcie_gen", "lanes", "gbps"}));
  if (fields.has("gbps")) {
    HEXMOE_RETURN_IF_ERROR(
        fields.number("gbps", &d->host_link_gbps, JsonFields::Range::kNonNegative, kMaxDeviceGbps));
    d->pcie_gen = 0;
    d->pcie_lanes = 0;
    return okStatus();
  }
  int64_t gen = d->pcie_gen > 0 ? d->pcie_gen : 4, lanes = d->pcie_lanes > 0 ? d->pcie_lanes : 16;
  HEXMOE_RETURN_IF_ERROR(fields.optionalInteger("pcie_gen", &gen, 3));
  if (gen > 6) return fields.errorAt("pcie_gen", "expected 3, 4, 5 or 6");
  HEXMOE_RETURN_IF_ERROR(fields.optionalInteger("lanes", &lanes, 1, 32));
  d->pcie_gen = static_cast<int>(gen);
  d->pcie_lanes = static_cast<int>(lanes);
  d->host_link_gbps = pcieGbps(d->pcie_gen, d->pcie_lanes);
  return okStatus();
}

static Status parsePeerLink(const JsonFields& entry, DeviceSpec* d) {
  if (entry.json().contains("peer_link") && entry.json()["peer_link"].is_null()) {
    d->peer_link_type.clear();
    d->peer_link_gbps = 0;
    return okStatus();
  }
  const Json* link = nullptr;
  HEXMOE_RETURN_IF_ERROR(entry.optionalChild("peer_link", Json::value_t::object, &link));
  if (link == nullptr) return okStatus();
  HEXMOE_ASSIGN_OR_RETURN(JsonFields fields,
                          JsonFields::of(entry.source(), *link, entry.pathOf("peer_link")));
  HEXMOE_RETURN_IF_ERROR(fields.onlyKnown({"type", "gbps"}));
  HEXMOE_RETURN_IF_ERROR(fields.optionalString("type", &d->peer_link_type));
  HEXMOE_RETURN_IF_ERROR(fields.number("gbps", &d->peer_link_gbps, JsonFields::Range::kNonNegative, kMaxDeviceGbps));
  if (d->peer_link_type.empty()) d->peer_link_type = "peer";
  return okStatus();
}

/// One `devices[i]` entry, which expands to `count` devices.
static Status parseDeviceEntry(const JsonFields& entry, int entry_index, DeviceSpec* d,
                               int64_t* count, std::string* base_name, bool* named) {
  HEXMOE_RETURN_IF_ERROR(entry.onlyKnown(
      {"preset", "name", "kind", "count", "class", "memory_gb", "reserved_gb",
       "memory_bandwidth_gbps", "tflops", "host_link", "peer_link", "peer_group", "node",
       "bandwidth_efficiency", "compute_efficiency", "dequant_bandwidth_factor",
       "dequant_compute_factor", "launch_overhead_us", "lost"}));
  std::string preset_name;
  HEXMOE_RETURN_IF_ERROR(entry.optionalString("preset", &preset_name));
  if (!preset_name.empty()) {
    const DevicePreset* preset = findDevicePreset(preset_name);
    if (preset == nullptr) {
      return entry.errorAt("preset", "unknown preset \"" + preset_name +
                                         "\" (hexmoe-plan --list-presets shows them)");
    }
    applyPreset(*preset, d);
  } else {
    d->kind = "custom";
    for (const char* key : {"class", "memory_gb", "memory_bandwidth_gbps", "tflops"}) {
      if (!entry.has(key)) return entry.errorAt(key, "missing (required without a preset)");
    }
  }
  std::string class_name;
  HEXMOE_RETURN_IF_ERROR(entry.optionalString("class", &class_name));
  if (!class_name.empty()) {
    if (class_name == "gpu") d->device_class = DeviceClass::kGpu;
    else if (class_name == "cpu") d->device_class = DeviceClass::kCpu;
    else if (class_name == "npu") d->device_class = DeviceClass::kNpu;
    else return entry.errorAt("class", "expected \"gpu\", \"cpu\" or \"npu\"");
    if (d->device_class == DeviceClass::kCpu && preset_name.empty()) d->host_link_gbps = 0;
  }
  applyClassDefaults(d);
  HEXMOE_RETURN_IF_ERROR(entry.optionalString("kind", &d->kind));
  HEXMOE_RETURN_IF_ERROR(entry.optionalNumber("memory_gb", &d->memory_gb, JsonFields::Range::kPositive,
                                              kMaxDeviceMemoryGb));
  HEXMOE_RETURN_IF_ERROR(entry.optionalNumber("reserved_gb", &d->reserved_gb, JsonFields::Range::kNonNegative,
                                              kMaxDeviceMemoryGb));
  if (d->reserved_gb >= d->memory_gb) {
    return entry.errorAt("reserved_gb", "must be less than memory_gb (" + std::to_string(d->memory_gb) + ")");
  }
  HEXMOE_RETURN_IF_ERROR(entry.optionalNumber("memory_bandwidth_gbps", &d->memory_bandwidth_gbps,
                                              JsonFields::Range::kPositive, kMaxDeviceGbps));
  HEXMOE_RETURN_IF_ERROR(parseTflops(entry, d));
  bool any_native = false;
  for (double t : d->tflops) any_native = any_native || t > 0;
  if (!any_native) return entry.errorAt("tflops", "expected at least one dtype with a positive peak");
  HEXMOE_RETURN_IF_ERROR(parseHostLink(entry, d));
  HEXMOE_RETURN_IF_ERROR(parsePeerLink(entry, d));
  int64_t node = 0;
  HEXMOE_RETURN_IF_ERROR(entry.optionalInteger("node", &node, 0, kMaxPoolNodes - 1));
  d->node = static_cast<int>(node);
  // Devices of one entry that have a peer link are one NVLink/xGMI island
  // unless the file says otherwise.
  if (d->peer_link_gbps > 0) d->peer_group = "entry-" + std::to_string(entry_index);
  HEXMOE_RETURN_IF_ERROR(entry.optionalString("peer_group", &d->peer_group));
  HEXMOE_RETURN_IF_ERROR(entry.optionalNumber("bandwidth_efficiency", &d->bandwidth_efficiency, JsonFields::Range::kFraction));
  HEXMOE_RETURN_IF_ERROR(entry.optionalNumber("compute_efficiency", &d->compute_efficiency, JsonFields::Range::kFraction));
  HEXMOE_RETURN_IF_ERROR(entry.optionalNumber("dequant_bandwidth_factor", &d->dequant_bandwidth_factor, JsonFields::Range::kFraction));
  HEXMOE_RETURN_IF_ERROR(entry.optionalNumber("dequant_compute_factor", &d->dequant_compute_factor, JsonFields::Range::kFraction));
  HEXMOE_RETURN_IF_ERROR(entry.optionalNumber("launch_overhead_us", &d->launch_overhead_us,
                                              JsonFields::Range::kNonNegative, kMaxLaunchOverheadUs));
  HEXMOE_RETURN_IF_ERROR(entry.optionalBool("lost", &d->lost));

  *count = 1;
  HEXMOE_RETURN_IF_ERROR(entry.optionalInteger("count", count, 1, kMaxPoolDevices));
  *named = entry.has("name");
  *base_name = preset_name.empty() ? "device" : d->kind;
  HEXMOE_RETURN_IF_ERROR(entry.optionalString("name", base_name));
  if (base_name->empty()) return entry.errorAt("name", "expected a non-empty name");
  return okStatus();
}

StatusOr<Pool> parsePool(const std::string& text, const std::string& source) {
  Json root;
  HEXMOE_RETURN_IF_ERROR(parseJsonText(text, source, &root));
  HEXMOE_ASSIGN_OR_RETURN(JsonFields top, JsonFields::of(source, root, ""));
  HEXMOE_RETURN_IF_ERROR(top.onlyKnown({"format", "version", "name", "description",
                                        "memory_reserve_fraction", "network_gbps",
                                        "link_efficiency", "attention_devices", "devices"}));
  std::string format = "hexmoe-pool";
  HEXMOE_RETURN_IF_ERROR(top.optionalString("format", &format));
  if (format != "hexmoe-pool") return top.errorAt("format", "expected \"hexmoe-pool\"");
  Pool pool;
  pool.name = source;
  HEXMOE_RETURN_IF_ERROR(top.optionalString("name", &pool.name));
  double reserve = pool.memory_reserve_fraction;
  if (top.has("memory_reserve_fraction")) {
    HEXMOE_RETURN_IF_ERROR(top.number("memory_reserve_fraction", &reserve, JsonFields::Range::kNonNegative));
    if (reserve >= 1) return top.errorAt("memory_reserve_fraction", "expected a fraction below 1");
  }
  pool.memory_reserve_fraction = reserve;
  HEXMOE_RETURN_IF_ERROR(top.optionalNumber("network_gbps", &pool.network_gbps, JsonFields::Range::kPositive,
                                            kMaxDeviceGbps));
  HEXMOE_RETURN_IF_ERROR(top.optionalNumber("link_efficiency", &pool.link_efficiency, JsonFields::Range::kFraction));

  const Json* devices = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.child("devices", Json::value_t::array, &devices));
  if (devices->empty()) return top.errorAt("devices", "expected at least one device");
  std::map<std::string, int> next_index;
  std::set<std::string> names;
  for (size_t i = 0; i < devices->size(); ++i) {
    std::string path = indexJsonPath("devices", i);
    HEXMOE_ASSIGN_OR_RETURN(JsonFields entry, JsonFields::of(source, (*devices)[i], path));
    DeviceSpec spec;
    int64_t count = 1;
    std::string base;
    bool named = false;
    HEXMOE_RETURN_IF_ERROR(parseDeviceEntry(entry, static_cast<int>(i), &spec, &count, &base, &named));
    if (pool.devices.size() + count > static_cast<size_t>(kMaxPoolDevices)) {
      return entry.error(path, "the pool would have " + std::to_string(pool.devices.size() + count) +
                                   " devices, more than the scheduler's limit of " + std::to_string(kMaxPoolDevices));
    }
    for (int64_t k = 0; k < count; ++k) {
      DeviceSpec d = spec;
      d.name = (named && count == 1) ? base : base + "-" + std::to_string(next_index[base]++);
      if (!names.insert(d.name).second) {
        return entry.error(joinJsonPath(path, "name"), "duplicate device name \"" + d.name + "\"");
      }
      pool.devices.push_back(std::move(d));
    }
  }
  const Json* attention = nullptr;
  HEXMOE_RETURN_IF_ERROR(top.optionalChild("attention_devices", Json::value_t::array, &attention));
  if (attention != nullptr) {
    if (attention->size() > pool.devices.size()) {
      return top.errorAt("attention_devices", "lists " + std::to_string(attention->size()) + " devices, the pool has " +
                                                  std::to_string(pool.devices.size()));
    }
    for (size_t i = 0; i < attention->size(); ++i) {
      const Json& item = (*attention)[i];
      std::string path = indexJsonPath("attention_devices", i);
      if (!item.is_string()) return top.error(path, "expected a device name, got " + describeJsonValue(item));
      if (pool.findDevice(item.get<std::string>()) < 0) {
        return top.error(path, "no device named \"" + item.get<std::string>() + "\" in the pool");
      }
      pool.attention_devices.push_back(item.get<std::string>());
    }
  }
  return pool;
}

StatusOr<Pool> parsePoolSpec(const std::string& spec) {
  Pool pool;
  pool.name = spec;
  std::map<std::string, int> next_index;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find('+', start);
    if (end == std::string::npos) end = spec.size();
    std::string item = spec.substr(start, end - start);
    auto bad = [&](const std::string& why) {
      return invalidArgument("pool spec \"" + spec + "\": \"" + item + "\" " + why);
    };
    size_t x = item.find('x');
    int64_t count = 1;
    std::string preset_name = item;
    if (x != std::string::npos && x > 0 &&
        std::all_of(item.begin(), item.begin() + x, [](char c) { return c >= '0' && c <= '9'; })) {
      // Digit by digit, stopping past the limit: no conversion can overflow.
      count = 0;
      for (size_t k = 0; k < x && count <= kMaxPoolDevices; ++k) count = count * 10 + (item[k] - '0');
      preset_name = item.substr(x + 1);
    }
    if (count < 1 || count > kMaxPoolDevices) {
      return bad("asks for " + (count > kMaxPoolDevices ? "more than " + std::to_string(kMaxPoolDevices) : "0") +
                 " devices; a pool has 1 to " + std::to_string(kMaxPoolDevices));
    }
    const DevicePreset* preset = findDevicePreset(preset_name);
    if (preset == nullptr) return bad("is not COUNTxPRESET (hexmoe-plan --list-presets shows presets)");
    if (pool.devices.size() + count > static_cast<size_t>(kMaxPoolDevices)) {
      return bad("makes the pool " + std::to_string(pool.devices.size() + count) +
                 " devices, more than the scheduler's limit of " + std::to_string(kMaxPoolDevices));
    }
    for (int64_t k = 0; k < count; ++k) {
      DeviceSpec d;
      applyPreset(*preset, &d);
      applyClassDefaults(&d);
      if (d.peer_link_gbps > 0) d.peer_group = preset->name;
      d.name = std::string(preset->name) + "-" + std::to_string(next_index[preset->name]++);
      pool.devices.push_back(std::move(d));
    }
    start = end + 1;
  }
  return pool;
}

StatusOr<Pool> loadPool(const std::string& path_or_spec) {
  std::ifstream probe(path_or_spec);
  bool looks_like_file = path_or_spec.find(".json") != std::string::npos ||
                         path_or_spec.find('/') != std::string::npos;
  if (!probe && !looks_like_file) return parsePoolSpec(path_or_spec);
  HEXMOE_ASSIGN_OR_RETURN(std::string text, readTextFile(path_or_spec));
  return parsePool(text, path_or_spec);
}

Json poolToJson(const Pool& pool) {
  Json devices = Json::array();
  for (const DeviceSpec& d : pool.devices) {
    Json tflops = Json::object();
    for (int t = 0; t < kNumDTypes; ++t) {
      if (d.tflops[t] > 0) tflops[dtypeName(static_cast<DType>(t))] = d.tflops[t];
    }
    Json entry = {
        {"name", d.name},
        {"kind", d.kind},
        {"class", deviceClassName(d.device_class)},
        {"memory_gb", d.memory_gb},
        {"memory_bandwidth_gbps", d.memory_bandwidth_gbps},
        {"tflops", tflops},
        {"node", d.node},
        {"bandwidth_efficiency", d.bandwidth_efficiency},
        {"compute_efficiency", d.compute_efficiency},
        {"dequant_bandwidth_factor", d.dequant_bandwidth_factor},
        {"dequant_compute_factor", d.dequant_compute_factor},
        {"launch_overhead_us", d.launch_overhead_us},
    };
    if (d.reserved_gb >= 0) entry["reserved_gb"] = d.reserved_gb;
    if (d.pcie_gen > 0) {
      entry["host_link"] = {{"pcie_gen", d.pcie_gen}, {"lanes", d.pcie_lanes}};
    } else if (d.host_link_gbps > 0) {
      entry["host_link"] = {{"gbps", d.host_link_gbps}};
    }
    if (d.peer_link_gbps > 0) {
      entry["peer_link"] = {{"type", d.peer_link_type}, {"gbps", d.peer_link_gbps}};
      entry["peer_group"] = d.peer_group;
    } else {
      entry["peer_link"] = nullptr;
    }
    if (d.lost) entry["lost"] = true;
    devices.push_back(std::move(entry));
  }
  Json out = {{"format", "hexmoe-pool"},
              {"name", pool.name},
              {"memory_reserve_fraction", pool.memory_reserve_fraction},
              {"network_gbps", pool.network_gbps},
              {"link_efficiency", pool.link_efficiency},
              {"devices", devices}};
  if (!pool.attention_devices.empty()) out["attention_devices"] = pool.attention_devices;
  return out;
}

}  // namespace hexmoe::scheduler
