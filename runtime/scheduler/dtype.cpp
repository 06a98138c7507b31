#include "runtime/scheduler/dtype.h"

#include <algorithm>
#include <cctype>

namespace hexmoe::scheduler {

const char* dtypeName(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return "fp32";
    case DType::kBf16: return "bf16";
    case DType::kFp16: return "fp16";
    case DType::kFp8: return "fp8";
    case DType::kInt8: return "int8";
    case DType::kInt4: return "int4";
  }
  return "?";
}

std::optional<DType> parseDType(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "fp32" || n == "float32" || n == "float") return DType::kFp32;
  if (n == "bf16" || n == "bfloat16") return DType::kBf16;
  if (n == "fp16" || n == "float16" || n == "half") return DType::kFp16;
  if (n == "fp8" || n == "e4m3" || n == "float8_e4m3fn" || n == "float8_e4m3" || n == "fp8_e4m3")
    return DType::kFp8;
  if (n == "int8" || n == "w8a8") return DType::kInt8;
  if (n == "int4" || n == "w4a16") return DType::kInt4;
  return std::nullopt;
}

double weightBytesPerParam(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return 4.0;
    case DType::kBf16:
    case DType::kFp16: return 2.0;
    case DType::kFp8: return 1.0 + 4.0 / (128.0 * 128.0);
    case DType::kInt8: return 1.0 + 2.0 / 4096.0;  // one bf16 scale per output row of ~4096
    case DType::kInt4: return 0.5 + 2.0 / 128.0;
  }
  return 2.0;
}

}  // namespace hexmoe::scheduler
