// Tensors as hexmoe-run reads and prints them: .npy conversion to argument
// element types, the plain --input value syntax, and numpy-style printing.
#ifndef HEXMOE_TOOLS_HEXMOE_RUN_VALUES_H_
#define HEXMOE_TOOLS_HEXMOE_RUN_VALUES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "hexmoe/hexmoe.h"
#include "tools/hexmoe-run/npy.h"

namespace hexmoe::tools {

/// Host data of one argument or result, in its element type.
struct HostTensor {
  hexmoe_element_type_t type = HEXMOE_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

/// Round-to-nearest-even to bf16; NaN stays NaN.
uint16_t roundToBf16(float value);
float bf16ToFloat(uint16_t bits);
/// float8 e4m3fn (bias 7, no infinities, S.1111.111 is NaN).
float e4m3ToFloat(uint8_t bits);

/// Converts a .npy array to `type`: f32 from <f4 or <f8; bf16 from <f4
/// (rounded to nearest even) or <u2 (raw bf16 bits); i32 from <i4 or <i8
/// (range-checked); i64 from <i8 or <i4. Otherwise false, with `error` like
/// "expected f32, got <i4".
bool fromNpy(const NpyArray& array, hexmoe_element_type_t type, HostTensor& out, std::string& error);

/// Parses a plain --input value for an argument of `type`:
///   "[[1,2],[3,4]]"       nested lists; the shape is their nesting
///   "2x3xf32=1,2,3,4,5,6" shape and element type, then row-major values
///   "2x3xf32=0"           one value fills the tensor
///   "f32=2.5", "2.5"      a scalar (rank 0)
/// The element type written must be the argument's; bf16 values are rounded.
bool parseValues(const std::string& text, hexmoe_element_type_t type, HostTensor& out, std::string& error);

/// A result as .npy: bf16 becomes <f4 (exactly), the rest keep their type.
NpyArray toNpy(hexmoe_element_type_t type, const std::vector<int64_t>& shape, const void* data);

/// numpy-style text: nested brackets, shortest round-trip numbers, lines
/// wrapped at 75 columns; beyond `threshold` elements only the first and
/// last `edgeItems` of each dimension are shown, with "...".
std::string formatTensor(hexmoe_element_type_t type, const std::vector<int64_t>& shape, const void* data,
                         int64_t threshold = 1000, int64_t edgeItems = 3);

}  // namespace hexmoe::tools

#endif  // HEXMOE_TOOLS_HEXMOE_RUN_VALUES_H_
