// Driver lookup, device names and options, the default host allocator, and
// copies between buffers. The list of drivers itself is not here: it lives in
// runtime/drivers/init.cpp, so the core never names a driver.
#include "runtime/core/hal/driver.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <unistd.h>

namespace hexmoe::hal {
namespace {

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

size_t physicalMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0) return SIZE_MAX;
  return static_cast<size_t>(pages) * static_cast<size_t>(pageSize);
}

void* HostAllocator::allocateBytes(size_t size, size_t alignment) const {
  if (allocate) return allocate(user, size, alignment);
  // More than the machine holds can never be backed; refusing it here keeps
  // the request out of the C allocator, whose rounding below could overflow.
  if (size > physicalMemoryBytes()) return nullptr;
  const size_t rounded = (size + alignment - 1) / alignment * alignment;
  return std::aligned_alloc(alignment, rounded);
}

void HostAllocator::deallocateBytes(void* ptr, size_t size) const {
  if (!ptr) return;
  if (deallocate) {
    deallocate(user, ptr, size);
    return;
  }
  std::free(ptr);
}

StatusOr<std::unique_ptr<Driver>> createDriver(const std::string& name) {
  std::vector<std::string> known;
  for (const DriverFactory& d : builtinDrivers()) {
    if (name == d.name) return d.create();
    known.push_back(d.name);
  }
  return notFound("no HAL driver named '" + name + "' (built in: " + joinNames(known) + ")");
}

Status checkDeviceOptions(const Driver& driver, const DeviceOptions& options) {
  const std::vector<std::string> names = driver.optionNames();
  for (const auto& [key, value] : options.values) {
    bool known = false;
    for (const std::string& n : names) known |= n == key;
    if (!known)
      return invalidArgument(std::string(driver.name()) + " driver: unknown option '" + key + "' (it takes " +
                             joinNames(names) + ")");
  }
  return okStatus();
}

StatusOr<DeviceName> parseDeviceName(const std::string& name) {
  DeviceName out;
  const size_t colon = name.find(':');
  out.driver = name.substr(0, colon);
  if (out.driver.empty()) return invalidArgument("device '" + name + "': no driver name (e.g. cpu, cpu:1)");
  if (colon == std::string::npos) return out;
  const std::string ordinal = name.substr(colon + 1);
  char* end = nullptr;
  const long n = std::strtol(ordinal.c_str(), &end, 10);
  if (ordinal.empty() || *end != '\0' || n < 0 || n > 1023)
    return invalidArgument("device '" + name + "': '" + ordinal + "' is not a device number (0-1023)");
  out.ordinal = static_cast<int>(n);
  return out;
}

Status copyBuffer(const Buffer& src, size_t srcOffset, Buffer& dst, size_t dstOffset, size_t size) {
  if (srcOffset > src.size() || size > src.size() - srcOffset)
    return outOfRange("copying " + std::to_string(size) + " bytes at " + std::to_string(srcOffset) +
                      " from a buffer of " + std::to_string(src.size()));
  if (dstOffset > dst.size() || size > dst.size() - dstOffset)
    return outOfRange("copying " + std::to_string(size) + " bytes to " + std::to_string(dstOffset) +
                      " of a buffer of " + std::to_string(dst.size()));
  if (size == 0) return okStatus();
  if (const auto* from = static_cast<const uint8_t*>(src.hostPointer()))
    return dst.write(dstOffset, from + srcOffset, size);
  if (auto* to = static_cast<uint8_t*>(dst.hostPointer())) return src.read(srcOffset, to + dstOffset, size);
  std::vector<uint8_t> staging(size);
  HEXMOE_RETURN_IF_ERROR(src.read(srcOffset, staging.data(), size));
  return dst.write(dstOffset, staging.data(), size);
}

}  // namespace hexmoe::hal
