// Fuzz target: the safetensors header parser. A header that parses must
// describe tensors inside the data, back to back, each exactly shape x dtype
// bytes, and every one of them converts to f32 without reading outside.
#include <cstdint>
#include <vector>

#include "models/weights/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hexmoe::weights;
  auto header = parseSafetensorsHeader(data, size, size, "fuzz.safetensors");
  if (!header.ok()) {
    if (header.status().message().empty()) __builtin_trap();
    return 0;
  }
  uint64_t next = header->dataOffset;
  for (const TensorInfo& t : header->tensors) {
    if (t.offset != next || t.offset + t.byteSize > size) __builtin_trap();
    if (static_cast<uint64_t>(t.elementCount()) * dtypeSize(t.dtype) != t.byteSize) __builtin_trap();
    std::vector<float> out(static_cast<size_t>(t.elementCount()));
    convertToF32(t.dtype, data + t.offset, out.size(), out.data());
    next = t.offset + t.byteSize;
  }
  if (next != size) __builtin_trap();
  return 0;
}
