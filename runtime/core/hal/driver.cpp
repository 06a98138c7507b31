// The registry of built-in HAL drivers and the default host allocator.
#include "runtime/core/hal/driver.h"

#include <cstdlib>

namespace hexmoe {
// Each driver defines its factory in its own folder; only the declaration is
// needed here, so drivers stay independent of each other and of this file.
namespace cpu {
std::unique_ptr<hal::Driver> createCpuDriver();
}
}  // namespace hexmoe

namespace hexmoe::hal {
namespace {

struct BuiltinDriver {
  const char* name;
  std::unique_ptr<Driver> (*create)();
};

constexpr BuiltinDriver kBuiltinDrivers[] = {
    {"cpu", &cpu::createCpuDriver},
};

}  // namespace

void* HostAllocator::allocateBytes(size_t size, size_t alignment) const {
  if (allocate) return allocate(user, size, alignment);
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

std::vector<std::string> builtinDrivers() {
  std::vector<std::string> names;
  for (const BuiltinDriver& d : kBuiltinDrivers) names.push_back(d.name);
  return names;
}

StatusOr<std::unique_ptr<Driver>> createDriver(const std::string& name) {
  for (const BuiltinDriver& d : kBuiltinDrivers) {
    if (name == d.name) return d.create();
  }
  std::string known;
  for (const BuiltinDriver& d : kBuiltinDrivers) known += (known.empty() ? "" : ", ") + std::string(d.name);
  return notFound("no HAL driver named '" + name + "' (built in: " + known + ")");
}

}  // namespace hexmoe::hal
