// Element types the scheduler reasons about: what expert weights are stored in,
// and what a device's matrix units run natively.
#ifndef HEXMOE_RUNTIME_SCHEDULER_DTYPE_H_
#define HEXMOE_RUNTIME_SCHEDULER_DTYPE_H_

#include <array>
#include <optional>
#include <string>

namespace hexmoe::scheduler {

enum class DType { kFp32 = 0, kBf16, kFp16, kFp8, kInt8, kInt4 };
inline constexpr int kNumDTypes = 6;

/// Short lower-case name used in every file format: fp32, bf16, fp16, fp8, int8, int4.
const char* dtypeName(DType dtype);

/// Accepts the short names and the spellings Hugging Face configs use
/// ("bfloat16", "float16", "float8_e4m3fn", ...).
std::optional<DType> parseDType(const std::string& name);

/// Stored bytes per weight, including block scales: fp8 as DeepSeek-V3 ships
/// it (e4m3, one fp32 scale per 128x128 block), int4 with one bf16 scale per
/// group of 128. Only ratios of these matter to placement.
double weightBytesPerParam(DType dtype);

/// Per-dtype numbers, e.g. dense TFLOPS; 0 means "not native".
using PerDType = std::array<double, kNumDTypes>;

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_DTYPE_H_
