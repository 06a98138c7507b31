// Element types of checkpoint tensors and their conversion to f32.
#include "models/weights/dtype.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace hexmoe::weights {
namespace {

struct DTypeInfo {
  DType type;
  const char* name;
  size_t size;
  bool floating;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "BOOL", 1, false},    {DType::kU8, "U8", 1, false},
    {DType::kI8, "I8", 1, false},        {DType::kF8E5M2, "F8_E5M2", 1, true},
    {DType::kF8E4M3, "F8_E4M3", 1, true}, {DType::kF8E8M0, "F8_E8M0", 1, true},
    {DType::kI16, "I16", 2, false},      {DType::kU16, "U16", 2, false},
    {DType::kF16, "F16", 2, true},       {DType::kBF16, "BF16", 2, true},
    {DType::kI32, "I32", 4, false},      {DType::kU32, "U32", 4, false},
    {DType::kF32, "F32", 4, true},       {DType::kF64, "F64", 8, true},
    {DType::kI64, "I64", 8, false},      {DType::kU64, "U64", 8, false},
};

const DTypeInfo& info(DType t) { return kDTypes[static_cast<int>(t)]; }

template <typename T>
T loadLE(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // x86-64 and every target host are little-endian
  return v;
}

}  // namespace

static_assert(sizeof(kDTypes) / sizeof(kDTypes[0]) == static_cast<size_t>(DType::kU64) + 1,
              "one DTypeInfo per DType, in enum order");

const char* dtypeName(DType t) { return info(t).name; }

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo& d : kDTypes)
    if (name == d.name) return d.type;
  return std::nullopt;
}

std::string knownDTypeNames() {
  std::string out;
  for (const DTypeInfo& d : kDTypes) {
    if (!out.empty()) out += ", ";
    out += d.name;
  }
  return out;
}

size_t dtypeSize(DType t) { return info(t).size; }
bool isFloating(DType t) { return info(t).floating; }

float f16ToF32(uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  float v;
  if (exponent == 0)
    v = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    v = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else
    v = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return sign ? -v : v;
}

float bf16ToF32(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float v;
  std::memcpy(&v, &wide, sizeof(v));
  return v;
}

float f8e4m3ToF32(uint8_t bits) {
  // e4m3fn: bias 7, no infinities; S.1111.111 is NaN.
  const int sign = bits >> 7, exponent = (bits >> 3) & 0xf, mantissa = bits & 0x7;
  float v;
  if (exponent == 0xf && mantissa == 0x7)
    v = std::numeric_limits<float>::quiet_NaN();
  else if (exponent == 0)
    v = std::ldexp(static_cast<float>(mantissa), -9);
  else
    v = std::ldexp(static_cast<float>(mantissa | 0x8), exponent - 10);
  return sign ? -v : v;
}

float f8e5m2ToF32(uint8_t bits) {
  // e5m2 is the top byte of an f16.
  return f16ToF32(static_cast<uint16_t>(bits) << 8);
}

float f8e8m0ToF32(uint8_t bits) {
  // OCP MX scale: 2^(bits - 127); 0xff is NaN.
  if (bits == 0xff) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(bits) - 127);
}

void convertToF32(DType t, const uint8_t* src, size_t count, float* dst) {
  const size_t w = dtypeSize(t);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = src + i * w;
    switch (t) {
      case DType::kBool: dst[i] = *p ? 1.0f : 0.0f; break;
      case DType::kU8: dst[i] = static_cast<float>(*p); break;
      case DType::kI8: dst[i] = static_cast<float>(static_cast<int8_t>(*p)); break;
      case DType::kF8E5M2: dst[i] = f8e5m2ToF32(*p); break;
      case DType::kF8E4M3: dst[i] = f8e4m3ToF32(*p); break;
      case DType::kF8E8M0: dst[i] = f8e8m0ToF32(*p); break;
      case DType::kI16: dst[i] = static_cast<float>(loadLE<int16_t>(p)); break;
      case DType::kU16: dst[i] = static_cast<float>(loadLE<uint16_t>(p)); break;
      case DType::kF16: dst[i] = f16ToF32(loadLE<uint16_t>(p)); break;
      case DType::kBF16: dst[i] = bf16ToF32(loadLE<uint16_t>(p)); break;
      case DType::kI32: dst[i] = static_cast<float>(loadLE<int32_t>(p)); break;
      case DType::kU32: dst[i] = static_cast<float>(loadLE<uint32_t>(p)); break;
      case DType::kF32: dst[i] = loadLE<float>(p); break;
      case DType::kF64: dst[i] = static_cast<float>(loadLE<double>(p)); break;
      case DType::kI64: dst[i] = static_cast<float>(loadLE<int64_t>(p)); break;
      case DType::kU64: dst[i] = static_cast<float>(loadLE<uint64_t>(p)); break;
    }
  }
}

}  // namespace hexmoe::weights
