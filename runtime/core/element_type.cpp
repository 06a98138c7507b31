// Element type names, sizes and shape arithmetic.
#include "runtime/core/element_type.h"

#include <limits>

namespace hexmoe {

size_t elementSize(ElementType type) {
  switch (type) {
    case ElementType::kF32: return 4;
    case ElementType::kBF16: return 2;
    case ElementType::kI32: return 4;
    case ElementType::kI64: return 8;
    case ElementType::kF8E4M3: return 1;
    case ElementType::kI8: return 1;
    case ElementType::kF16: return 2;
  }
  return 0;
}

const char* elementTypeName(ElementType type) {
  switch (type) {
    case ElementType::kF32: return "f32";
    case ElementType::kBF16: return "bf16";
    case ElementType::kI32: return "i32";
    case ElementType::kI64: return "i64";
    case ElementType::kF8E4M3: return "f8e4m3";
    case ElementType::kI8: return "i8";
    case ElementType::kF16: return "f16";
  }
  return "?";
}

std::optional<ElementType> parseElementType(const std::string& name) {
  for (int i = 0; i < kNumElementTypes; ++i) {
    auto type = static_cast<ElementType>(i);
    if (name == elementTypeName(type)) return type;
  }
  return std::nullopt;
}

std::string formatTensorType(ElementType type, const Shape& shape) {
  std::string s = std::string(elementTypeName(type)) + " [";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::optional<int64_t> elementCount(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return std::nullopt;
    n *= d;
  }
  return n;
}

std::optional<size_t> byteSize(ElementType type, int64_t count) {
  const size_t size = elementSize(type);
  if (count < 0 || static_cast<uint64_t>(count) > std::numeric_limits<size_t>::max() / size)
    return std::nullopt;
  return static_cast<size_t>(count) * size;
}

}  // namespace hexmoe
