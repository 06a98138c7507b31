// The runtime: opening devices through the built-in drivers.
#include "runtime/core/runtime.h"

#include <algorithm>

namespace hexmoe {

StatusOr<Ref<Runtime>> Runtime::create(const RuntimeOptions& options) {
  if (options.logLevel) setLogLevel(*options.logLevel);
  Ref<Runtime> runtime = Ref<Runtime>::adopt(new Runtime());
  runtime->trustedKeys_ = options.trustedKeys;
  const std::vector<std::string> names = options.devices.empty() ? std::vector<std::string>{"cpu"} : options.devices;
  std::vector<hal::DeviceName> parsedNames;
  for (const std::string& name : names) {
    HEXMOE_ASSIGN_OR_RETURN(hal::DeviceName parsed, hal::parseDeviceName(name));
    parsedNames.push_back(parsed);
  }
  for (const auto& [target, values] : options.driverOptions) {
    bool used = false;
    for (const hal::DeviceName& n : parsedNames)
      used |= target == n.driver || target == n.driver + ":" + std::to_string(n.ordinal);
    if (!used)
      return invalidArgument("options for " + std::string(target.find(':') == std::string::npos ? "driver '" : "device '") +
                             target + "', which opens none of the devices");
  }
  for (const hal::DeviceName& parsed : parsedNames) {
    const std::string canonical = parsed.driver + ":" + std::to_string(parsed.ordinal);
    for (const auto& d : runtime->devices_)
      if (d->info().name == canonical) return invalidArgument("device " + canonical + " is listed twice");
    hal::Driver* driver = nullptr;
    for (const auto& d : runtime->drivers_)
      if (parsed.driver == d->name()) driver = d.get();
    if (!driver) {
      HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<hal::Driver> created, hal::createDriver(parsed.driver));
      driver = created.get();
      runtime->drivers_.push_back(std::move(created));
    }
    hal::DeviceOptions deviceOptions;
    deviceOptions.allocator = options.allocator;
    // The driver's settings, then this device's own on top.
    for (const std::string& target : {parsed.driver, canonical})
      if (auto it = options.driverOptions.find(target); it != options.driverOptions.end())
        for (const auto& [key, value] : it->second) deviceOptions.values[key] = value;
    HEXMOE_RETURN_IF_ERROR(hal::checkDeviceOptions(*driver, deviceOptions));
    StatusOr<std::unique_ptr<hal::Device>> device = driver->createDevice(parsed.ordinal, deviceOptions);
    if (!device.ok()) return std::move(device).status().withPrefix(canonical + ": ").at(__FILE__, __LINE__);
    HEXMOE_LOG_DEBUG("runtime device {}: {}", (*device)->info().name, (*device)->info().description);
    runtime->devices_.push_back(std::move(*device));
  }
  return runtime;
}

StatusOr<std::vector<schema::PublicKey>> parseTrustedKeys(const std::string& list) {
  std::vector<std::string> specs;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    specs.push_back(list.substr(start, end - start));
    if (specs.back().empty()) return invalidArgument("trusted keys '" + list + "': an empty entry");
    start = end + 1;
  }
  std::vector<schema::PublicKey> keys;
  for (const std::string& spec : specs) {
    HEXMOE_ASSIGN_OR_RETURN(schema::PublicKey key, schema::loadPublicKey(spec));
    keys.push_back(key);
  }
  return keys;
}

StatusOr<size_t> Runtime::findDevice(const std::string& name) const {
  HEXMOE_ASSIGN_OR_RETURN(hal::DeviceName parsed, hal::parseDeviceName(name));
  const bool anyOrdinal = name.find(':') == std::string::npos;
  for (size_t i = 0; i < devices_.size(); ++i) {
    const hal::DeviceInfo& info = devices_[i]->info();
    if (info.driver != parsed.driver) continue;
    if (anyOrdinal || info.name == parsed.driver + ":" + std::to_string(parsed.ordinal)) return i;
  }
  return notFound("no device '" + name + "' in this runtime (it has " + deviceNames() + ")");
}

std::string Runtime::deviceNames() const {
  std::string out;
  for (const auto& d : devices_) out += (out.empty() ? "" : ", ") + d->info().name;
  return out;
}

StatusOr<std::vector<std::string>> splitDeviceList(const std::string& list) {
  std::vector<std::string> names;
  size_t start = 0;
  for (;;) {
    const size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.empty()) return invalidArgument("devices '" + list + "': an empty device name");
    names.push_back(std::move(name));
    if (comma == std::string::npos) return names;
    start = comma + 1;
  }
}

Status parseDriverOptions(const std::string& text,
                          std::map<std::string, std::map<std::string, std::string>>& out) {
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(';', start), text.size());
    const std::string entry = text.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;
    const size_t dot = entry.find('.');
    const size_t eq = entry.find('=');
    if (dot == std::string::npos || eq == std::string::npos || dot == 0 || dot + 1 >= eq)
      return invalidArgument("driver option '" + entry + "': expected driver.key=value (e.g. cpu.threads=2)");
    out[entry.substr(0, dot)][entry.substr(dot + 1, eq - dot - 1)] = entry.substr(eq + 1);
  }
  return okStatus();
}

DeviceInventory listAvailableDevices() {
  DeviceInventory inventory;
  for (const hal::DriverFactory& factory : hal::builtinDrivers()) {
    std::unique_ptr<hal::Driver> driver = factory.create();
    StatusOr<std::vector<hal::DeviceListing>> listed = driver->listDevices();
    if (!listed.ok()) {
      inventory.unavailable.emplace_back(factory.name, listed.status().message());
      continue;
    }
    if (listed->empty()) inventory.unavailable.emplace_back(factory.name, "no devices found");
    for (hal::DeviceListing& d : *listed) inventory.devices.push_back(std::move(d));
  }
  return inventory;
}

}  // namespace hexmoe
