// Element conversions against independent definitions: the compiler's own
// _Float16 for f16, and the e4m3fn / e5m2 / e8m0 formulas in double.
#include "models/weights/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace hexmoe::weights {
namespace {

/// e4m3fn by its definition: bias 7, subnormals at exponent 0, S.1111.111 NaN.
double e4m3Reference(int bits) {
  const int s = bits >> 7, e = (bits >> 3) & 15, m = bits & 7;
  if (e == 15 && m == 7) return NAN;
  const double v = e == 0 ? std::pow(2.0, -6) * (m / 8.0) : std::pow(2.0, e - 7) * (1.0 + m / 8.0);
  return s ? -v : v;
}

/// e5m2 by its definition: bias 15, IEEE-style infinities and NaNs.
double e5m2Reference(int bits) {
  const int s = bits >> 7, e = (bits >> 2) & 31, m = bits & 3;
  double v;
  if (e == 31)
    v = m ? NAN : INFINITY;
  else
    v = e == 0 ? std::pow(2.0, -14) * (m / 4.0) : std::pow(2.0, e - 15) * (1.0 + m / 4.0);
  return s ? -v : v;
}

void expectSame(double want, float got, int bits) {
  if (std::isnan(want))
    EXPECT_TRUE(std::isnan(got)) << "bits " << bits;
  else
    EXPECT_EQ(static_cast<double>(got), want) << "bits " << bits;
}

TEST(DType, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(DType::kU64); ++i) {
    const DType t = static_cast<DType>(i);
    EXPECT_EQ(parseDType(dtypeName(t)), t);
  }
  EXPECT_FALSE(parseDType("f32").has_value());  // names are case-sensitive
  EXPECT_EQ(dtypeSize(DType::kBF16), 2u);
  EXPECT_EQ(dtypeSize(DType::kF8E4M3), 1u);
  EXPECT_EQ(dtypeSize(DType::kI64), 8u);
}

TEST(DType, F8E4M3MatchesItsDefinitionForEveryByte) {
  for (int b = 0; b < 256; ++b) expectSame(e4m3Reference(b), f8e4m3ToF32(static_cast<uint8_t>(b)), b);
  EXPECT_EQ(f8e4m3ToF32(0x7e), 448.0f);  // the largest finite value
}

TEST(DType, F8E5M2MatchesItsDefinitionForEveryByte) {
  for (int b = 0; b < 256; ++b) expectSame(e5m2Reference(b), f8e5m2ToF32(static_cast<uint8_t>(b)), b);
}

TEST(DType, F8E8M0IsAPowerOfTwo) {
  EXPECT_EQ(f8e8m0ToF32(127), 1.0f);
  EXPECT_EQ(f8e8m0ToF32(0), std::ldexp(1.0f, -127));
  EXPECT_EQ(f8e8m0ToF32(254), std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isnan(f8e8m0ToF32(255)));
}

TEST(DType, F16MatchesTheCompilersHalfForEveryPattern) {
  for (int b = 0; b < 65536; ++b) {
    const uint16_t bits = static_cast<uint16_t>(b);
    _Float16 h;
    std::memcpy(&h, &bits, 2);
    expectSame(static_cast<double>(h), f16ToF32(bits), b);
  }
}

TEST(DType, BF16IsTheTopHalfOfAnF32) {
  for (float v : {1.0f, -2.5f, 3.140625f, std::ldexp(1.0f, -100), -65536.0f}) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    EXPECT_EQ(bf16ToF32(static_cast<uint16_t>(bits >> 16)), v);
  }
}

TEST(DType, ConvertsIntegersAndUnalignedBuffers) {
  const int64_t i64[2] = {-3, 1ll << 40};
  uint8_t raw[17];
  std::memcpy(raw + 1, i64, 16);  // deliberately misaligned
  float out[2];
  convertToF32(DType::kI64, raw + 1, 2, out);
  EXPECT_EQ(out[0], -3.0f);
  EXPECT_EQ(out[1], static_cast<float>(1ll << 40));
  const uint8_t flags[3] = {0, 1, 2};
  float b[3];
  convertToF32(DType::kBool, flags, 3, b);
  EXPECT_EQ(b[0], 0.0f);
  EXPECT_EQ(b[2], 1.0f);
}

}  // namespace
}  // namespace hexmoe::weights
