// Fuzz target: hexmoe-run's .npy reader and the conversion of an array to
// each argument element type. A file that parses must survive a write and
// read back unchanged.
#include <cstdint>
#include <string>

#include "tools/hexmoe-run/npy.h"
#include "tools/hexmoe-run/values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hexmoe::tools;
  // Tensors up to 64 MiB, so every input stays fast (the limit itself is
  // what checkTensorBytes enforces, whatever its value).
  static const bool capped = (setMaxTensorBytes(size_t{64} << 20), true);
  (void)capped;
  NpyArray array;
  std::string error;
  if (!parseNpy(data, size, array, error)) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  if (array.data.size() != static_cast<size_t>(array.elementCount()) * npyItemSize(array.dtype)) __builtin_trap();
  const std::vector<uint8_t> encoded = encodeNpy(array);
  NpyArray again;
  if (!parseNpy(encoded.data(), encoded.size(), again, error) || again.dtype != array.dtype ||
      again.shape != array.shape || again.data != array.data)
    __builtin_trap();
  for (hexmoe_element_type_t type : {HEXMOE_F32, HEXMOE_BF16, HEXMOE_I32, HEXMOE_I64}) {
    HostTensor tensor;
    error.clear();
    if (!fromNpy(array, type, tensor, error) && error.empty()) __builtin_trap();
  }
  return 0;
}
