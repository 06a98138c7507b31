// Block-scaled quantisation (quantize.h).
#include "models/weights/quantize.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace hexmoe::weights {
namespace {

/// The 127 finite non-negative e4m3fn values, by code (increasing).
const std::array<double, 127>& e4m3Values() {
  static const std::array<double, 127> values = [] {
    std::array<double, 127> v{};
    for (int code = 0; code < 127; ++code) {
      const int exponent = code >> 3, mantissa = code & 7;
      v[code] = exponent == 0 ? std::ldexp(mantissa / 8.0, -6) : std::ldexp(1.0 + mantissa / 8.0, exponent - 7);
    }
    return v;
  }();
  return values;
}

}  // namespace

uint8_t nearestE4m3(double v) {
  const std::array<double, 127>& values = e4m3Values();
  const double mag = std::fabs(v);
  // The first code not below mag, within [1, 126]; then the nearer of it
  // and the one below (ties to the even code).
  int hi = static_cast<int>(std::lower_bound(values.begin(), values.end(), mag) - values.begin());
  hi = std::clamp(hi, 1, 126);
  const int lo = hi - 1;
  const double below = mag - values[lo], above = values[hi] - mag;
  const int code = below < above || (below == above && lo % 2 == 0) ? lo : hi;
  return static_cast<uint8_t>(code | (std::signbit(v) ? 0x80 : 0));
}

Quantized quantizeBlocks(const float* w, int64_t matrices, int64_t rows, int64_t cols, BlockSize block,
                         QuantFormat format) {
  const int64_t rb = (rows + block.rows - 1) / block.rows, cb = (cols + block.cols - 1) / block.cols;
  const double top = format == QuantFormat::kFp8E4M3 ? 448.0 : 127.0;
  Quantized q;
  q.codes.resize(static_cast<size_t>(matrices * rows * cols));
  q.scales.resize(static_cast<size_t>(matrices * rb * cb));
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < rb; ++i)
      for (int64_t j = 0; j < cb; ++j) {
        const int64_t r0 = i * block.rows, r1 = std::min(rows, r0 + block.rows);
        const int64_t c0 = j * block.cols, c1 = std::min(cols, c0 + block.cols);
        float amax = 0;
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c) amax = std::max(amax, std::fabs(w[(m * rows + r) * cols + c]));
        // An all-zero block keeps a tiny positive scale (its codes are 0).
        const float scale = static_cast<float>(std::max(static_cast<double>(amax), 1e-30) / top);
        q.scales[static_cast<size_t>((m * rb + i) * cb + j)] = scale;
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c) {
            const size_t at = static_cast<size_t>((m * rows + r) * cols + c);
            const double x = static_cast<double>(w[at]) / static_cast<double>(scale);
            if (format == QuantFormat::kFp8E4M3) {
              q.codes[at] = nearestE4m3(x);
            } else {
              const double code = std::clamp(std::nearbyint(x), -127.0, 127.0);
              q.codes[at] = static_cast<uint8_t>(static_cast<int8_t>(code));
            }
          }
      }
  return q;
}

}  // namespace hexmoe::weights
