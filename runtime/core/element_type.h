// Element types and shapes as the runtime and its users see them.
#ifndef HEXMOE_RUNTIME_CORE_ELEMENT_TYPE_H_
#define HEXMOE_RUNTIME_CORE_ELEMENT_TYPE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hexmoe {

/// Same values as schema::ElementType and hexmoe_element_type_t.
/// kF8E4M3 is float8 e4m3fn (bias 7, no infinities, S.1111.111 is NaN), the
/// storage of block-scaled FP8 weights; kI8 that of group-scaled int8 ones;
/// kF16 is IEEE half precision (f16 checkpoints' weights).
enum class ElementType : uint8_t { kF32 = 0, kBF16 = 1, kI32 = 2, kI64 = 3, kF8E4M3 = 4, kI8 = 5, kF16 = 6 };

inline constexpr int kNumElementTypes = 7;

size_t elementSize(ElementType type);
/// "f32", "bf16", "i32", "i64", "f8e4m3", "i8", "f16".
const char* elementTypeName(ElementType type);
std::optional<ElementType> parseElementType(const std::string& name);
inline bool isValidElementType(int value) { return value >= 0 && value < kNumElementTypes; }

using Shape = std::vector<int64_t>;

/// "f32 [8,512,256]" — the form used in every shape error.
std::string formatTensorType(ElementType type, const Shape& shape);

/// Element count, or nullopt if a size is negative or the product overflows.
std::optional<int64_t> elementCount(const Shape& shape);

/// Byte size for `count` elements, or nullopt on overflow.
std::optional<size_t> byteSize(ElementType type, int64_t count);

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_ELEMENT_TYPE_H_
