// Fuzz target: the CPU driver's checks of an embedded shared object before
// dlopen (ELF identity, program and section headers, segments in bounds).
// dlopen itself is not fuzzed: glibc trusts what these checks admit.
#include <cstdint>
#include <vector>

#include "runtime/drivers/cpu/shared_object.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly `size` bytes, so any read past the end is seen.
  std::vector<uint8_t> bytes(data, data + size);
  hexmoe::Status s = hexmoe::hal::cpu::SharedObject::checkImage(bytes.data(), bytes.size(), "fuzz.so");
  if (!s.ok() && s.message().empty()) __builtin_trap();
  return 0;
}
