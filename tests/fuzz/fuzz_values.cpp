// Fuzz target: hexmoe-run's --input=VALUES text ("[[1,2],[3,4]]",
// "2x3xf32=1,2,...", "f32=2.5"), for the element type the first byte picks.
// What parses must print.
#include <cstdint>
#include <string>

#include "tools/hexmoe-run/values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hexmoe::tools;
  // Tensors up to 64 MiB, so every input stays fast (the limit itself is
  // what checkTensorBytes enforces, whatever its value).
  static const bool capped = (setMaxTensorBytes(size_t{64} << 20), true);
  (void)capped;
  if (size == 0) return 0;
  static const hexmoe_element_type_t kTypes[] = {HEXMOE_F32, HEXMOE_BF16, HEXMOE_I32, HEXMOE_I64};
  const hexmoe_element_type_t type = kTypes[data[0] % 4];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  HostTensor tensor;
  std::string error;
  if (!parseValues(text, type, tensor, error)) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  int64_t count = 1;
  for (int64_t d : tensor.shape) count *= d;
  if (tensor.type != type || tensor.data.size() != static_cast<size_t>(count) * hexmoe_element_type_size(type))
    __builtin_trap();
  (void)formatTensor(type, tensor.shape, tensor.data.data());
  return 0;
}
