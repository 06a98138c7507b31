// Block-scaled FP8 dequantisation against a float64 loop over DeepSeek's
// rule, on shapes that are not multiples of the block (partial blocks at
// the edges), with scales in F32 and BF16.
#include "models/weights/dequant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/unit/models/weights/test_files.h"

namespace hexmoe::weights {
namespace {

using namespace testing;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

double e4m3(int bits) {
  const int s = bits >> 7, e = (bits >> 3) & 15, m = bits & 7;
  const double v = e == 0 ? std::ldexp(m / 8.0, -6) : std::ldexp(1.0 + m / 8.0, e - 7);
  return s ? -v : v;
}

struct Fp8Case {
  int64_t rows, cols;
  BlockSize block;
  bool bf16Scales;
};

class BlockFp8 : public ::testing::TestWithParam<Fp8Case> {};

TEST_P(BlockFp8, MatchesFloat64Reference) {
  const Fp8Case p = GetParam();
  const int64_t gr = (p.rows + p.block.rows - 1) / p.block.rows, gc = (p.cols + p.block.cols - 1) / p.block.cols;
  std::mt19937 rng(static_cast<uint32_t>(p.rows * 7919 + p.cols));
  std::vector<uint8_t> w(static_cast<size_t>(p.rows * p.cols));
  for (auto& b : w) {
    b = static_cast<uint8_t>(rng() & 0xff);
    if ((b & 0x7f) == 0x7f) b &= 0xfe;  // no NaNs in a real checkpoint
  }
  std::vector<float> s(static_cast<size_t>(gr * gc));
  std::vector<uint16_t> s16(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    s[i] = std::ldexp(1.0f + static_cast<float>(rng() % 128) / 128.0f, static_cast<int>(rng() % 16) - 12);
    uint32_t bits;
    std::memcpy(&bits, &s[i], 4);
    s16[i] = static_cast<uint16_t>(bits >> 16);  // exact: 7 mantissa bits
  }
  const std::string sdtype = p.bf16Scales ? "BF16" : "F32";
  const size_t sBytes = s.size() * (p.bf16Scales ? 2 : 4);
  const std::string header = R"({"w":{"dtype":"F8_E4M3","shape":[)" + std::to_string(p.rows) + "," +
                             std::to_string(p.cols) + R"(],"data_offsets":[0,)" + std::to_string(w.size()) +
                             R"(]},"w_scale_inv":{"dtype":")" + sdtype + R"(","shape":[)" + std::to_string(gr) +
                             "," + std::to_string(gc) + R"(],"data_offsets":[)" + std::to_string(w.size()) + "," +
                             std::to_string(w.size() + sBytes) + "]}}";
  TempDir dir;
  writeFile(dir / "model.safetensors", safetensorsBytes(header, concat(w, p.bf16Scales ? bytesOf(s16) : bytesOf(s))));
  auto c = Checkpoint::open(dir.path());
  ASSERT_TRUE(c.ok()) << c.status().toString();
  const CheckpointTensor* tw = (*c)->find("w");
  const CheckpointTensor* ts = (*c)->find("w_scale_inv");
  // The whole weight, and a row range that starts inside a block.
  for (auto [r0, r1] : {std::pair<int64_t, int64_t>{0, p.rows}, {p.rows / 3, p.rows - 1}}) {
    std::vector<float> out(static_cast<size_t>((r1 - r0) * p.cols));
    Status st = dequantBlockFp8Rows(*tw, *ts, p.block, r0, r1, out.data());
    ASSERT_TRUE(st.ok()) << st.toString();
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t col = 0; col < p.cols; ++col) {
        const double want = e4m3(w[static_cast<size_t>(r * p.cols + col)]) *
                            s[static_cast<size_t>((r / p.block.rows) * gc + col / p.block.cols)];
        const double got = out[static_cast<size_t>((r - r0) * p.cols + col)];
        ASSERT_LE(std::fabs(got - want), 1e-7 * std::fabs(want)) << "row " << r << " col " << col;
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, BlockFp8,
                         ::testing::Values(Fp8Case{256, 128, {128, 128}, false},   // whole blocks
                                           Fp8Case{300, 200, {128, 128}, false},   // partial both ways
                                           Fp8Case{576, 130, {128, 128}, true},    // kv_a_proj-like rows
                                           Fp8Case{5, 3, {2, 2}, true}));

TEST(BlockFp8Errors, RefusesAScaleGridOfTheWrongShape) {
  TensorInfo w{"w", DType::kF8E4M3, {300, 200}, 0, 60000};
  TensorInfo s{"w_scale_inv", DType::kF32, {2, 2}, 0, 16};
  Status st = checkBlockFp8(w, s, {});
  ASSERT_FALSE(st.ok());
  EXPECT_HAS(st.message(), "tensor 'w' with scales 'w_scale_inv': the scales are [2, 2] F32, but a [300, 200] "
                           "F8_E4M3 weight in 128x128 blocks needs [3, 2]");
  TensorInfo notFp8{"w", DType::kBF16, {4, 4}, 0, 32};
  EXPECT_HAS(checkBlockFp8(notFp8, s, {}).message(), "not a 2-D F8_E4M3 tensor");
  TensorInfo intScale{"s", DType::kI32, {3, 2}, 0, 24};
  EXPECT_HAS(checkBlockFp8(w, intScale, {}).message(), "not a 2-D floating tensor");
}

}  // namespace
}  // namespace hexmoe::weights
