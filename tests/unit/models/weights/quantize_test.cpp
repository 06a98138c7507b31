// Block-scaled quantisation (models/weights/quantize.h): e4m3 rounding
// against every code and the midpoints between them, the block scales, and
// dequantised values within half a code step of the input.
#include "models/weights/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "models/weights/dtype.h"

namespace hexmoe::weights {
namespace {

TEST(NearestE4m3, EveryFiniteCodeRoundTrips) {
  for (int code = 0; code < 256; ++code) {
    if ((code & 0x7F) == 0x7F) continue;  // NaN
    const double v = f8e4m3ToF32(static_cast<uint8_t>(code));
    if (code == 0x80) {  // -0 keeps its sign
      EXPECT_EQ(nearestE4m3(-0.0), 0x80);
      continue;
    }
    EXPECT_EQ(nearestE4m3(v), code) << "value " << v;
  }
}

TEST(NearestE4m3, MidpointsTieToTheEvenCode) {
  for (int code = 0; code < 126; ++code) {
    const double lo = f8e4m3ToF32(static_cast<uint8_t>(code)), hi = f8e4m3ToF32(static_cast<uint8_t>(code + 1));
    const double mid = (lo + hi) / 2;
    const int even = code % 2 == 0 ? code : code + 1;
    EXPECT_EQ(nearestE4m3(mid), even) << "between " << lo << " and " << hi;
    EXPECT_EQ(nearestE4m3(-mid), even | 0x80);
    EXPECT_EQ(nearestE4m3(std::nextafter(mid, 0.0)), code);
    EXPECT_EQ(nearestE4m3(std::nextafter(mid, 1e9)), code + 1);
  }
}

TEST(NearestE4m3, SaturatesAtTheLargestFiniteValue) {
  EXPECT_EQ(nearestE4m3(448.0), 0x7E);
  EXPECT_EQ(nearestE4m3(1e6), 0x7E);
  EXPECT_EQ(nearestE4m3(-1e6), 0xFE);
}

struct Case {
  int64_t matrices, rows, cols;
  BlockSize block;
  QuantFormat format;
};

class QuantizeBlocks : public ::testing::TestWithParam<Case> {};

TEST_P(QuantizeBlocks, ScalesAreBlockMaximaAndValuesAreWithinHalfAStep) {
  const Case c = GetParam();
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> w(static_cast<size_t>(c.matrices * c.rows * c.cols));
  for (float& v : w) v = normal(rng);
  // One all-zero block: a tiny scale and zero codes.
  for (int64_t r = 0; r < std::min(c.rows, c.block.rows); ++r)
    for (int64_t col = 0; col < std::min(c.cols, c.block.cols); ++col) w[r * c.cols + col] = 0;
  const Quantized q = quantizeBlocks(w.data(), c.matrices, c.rows, c.cols, c.block, c.format);
  const int64_t rb = (c.rows + c.block.rows - 1) / c.block.rows, cb = (c.cols + c.block.cols - 1) / c.block.cols;
  ASSERT_EQ(q.codes.size(), w.size());
  ASSERT_EQ(q.scales.size(), static_cast<size_t>(c.matrices * rb * cb));
  const bool fp8 = c.format == QuantFormat::kFp8E4M3;
  const double top = fp8 ? 448.0 : 127.0;
  for (int64_t m = 0; m < c.matrices; ++m)
    for (int64_t i = 0; i < rb; ++i)
      for (int64_t j = 0; j < cb; ++j) {
        float amax = 0;
        const float scale = q.scales[(m * rb + i) * cb + j];
        for (int64_t r = i * c.block.rows; r < std::min(c.rows, (i + 1) * c.block.rows); ++r)
          for (int64_t col = j * c.block.cols; col < std::min(c.cols, (j + 1) * c.block.cols); ++col) {
            const size_t at = static_cast<size_t>((m * c.rows + r) * c.cols + col);
            amax = std::max(amax, std::fabs(w[at]));
            const uint8_t code = q.codes[at];
            const double value = (fp8 ? f8e4m3ToF32(code) : static_cast<int8_t>(code)) * static_cast<double>(scale);
            // Half a step of the code grid at this magnitude, in the scaled domain.
            const double x = std::fabs(w[at] / static_cast<double>(scale));
            const double step = fp8 ? std::max(std::ldexp(1.0, static_cast<int>(std::floor(std::log2(std::max(x, 1e-30)))) - 3),
                                               std::ldexp(1.0, -9))
                                    : 1.0;
            EXPECT_LE(std::fabs(value - w[at]), step / 2 * scale * (1 + 1e-12)) << "element " << at;
            if (!fp8) EXPECT_NE(code, 0x80) << "int8 codes stay in [-127, 127]";
          }
        EXPECT_FLOAT_EQ(scale, static_cast<float>(std::max(static_cast<double>(amax), 1e-30) / top));
      }
  EXPECT_EQ(q.codes[0], 0);
}

INSTANTIATE_TEST_SUITE_P(Formats, QuantizeBlocks,
                         ::testing::Values(Case{1, 300, 200, {128, 128}, QuantFormat::kFp8E4M3},
                                           Case{3, 40, 48, {16, 32}, QuantFormat::kFp8E4M3},
                                           Case{1, 7, 100, {1, 32}, QuantFormat::kInt8},
                                           Case{2, 5, 64, {1, 32}, QuantFormat::kInt8}));

}  // namespace
}  // namespace hexmoe::weights
