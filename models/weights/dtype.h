// Element types of checkpoint tensors, as safetensors names them, and their
// conversion to f32.
//
// The names are the safetensors format's ("F32", "BF16", "F8_E4M3", ...).
// F8_E4M3 is the "fn" variant DeepSeek-V3 ships (no infinities, one NaN
// pattern per sign, max 448); F8_E8M0 holds power-of-two scales (MXFP4).
#ifndef HEXMOE_MODELS_WEIGHTS_DTYPE_H_
#define HEXMOE_MODELS_WEIGHTS_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hexmoe::weights {

enum class DType {
  kBool,
  kU8,
  kI8,
  kF8E5M2,
  kF8E4M3,
  kF8E8M0,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kF64,
  kI64,
  kU64,
};

/// The safetensors name of `t` ("BF16").
const char* dtypeName(DType t);
/// Parses a safetensors dtype name; nullopt for a name it does not know.
std::optional<DType> parseDType(std::string_view name);
/// "BOOL, U8, ..., U64": what parseDType accepts, for error messages.
std::string knownDTypeNames();
/// Bytes per element.
size_t dtypeSize(DType t);
/// True for the floating-point types (F8_*, F16, BF16, F32, F64).
bool isFloating(DType t);

/// Scalar conversions, exact (every value of these types is an f32 value).
float f16ToF32(uint16_t bits);
float bf16ToF32(uint16_t bits);
float f8e4m3ToF32(uint8_t bits);
float f8e5m2ToF32(uint8_t bits);
float f8e8m0ToF32(uint8_t bits);

/// Converts `count` elements of type `t` at `src` (little-endian, any
/// alignment) to f32. Integers convert by value (rounded where f32 cannot
/// hold them exactly).
void convertToF32(DType t, const uint8_t* src, size_t count, float* dst);

}  // namespace hexmoe::weights

#endif  // HEXMOE_MODELS_WEIGHTS_DTYPE_H_
