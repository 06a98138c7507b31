// Quantisation of f32 weights into hexmoe's block-scaled formats, as
// `hexmoe-compile MODEL_DIR --weight-type=fp8|int8` does it.
//
// A weight [M, R, C] (M stacked matrices) becomes codes [M, R, C] and f32
// scales [M, ceil(R / br), ceil(C / bc)], one per block of br x bc elements
// (partial at the edges), such that code * scale is the value it stands for
// (moe.dequant's rule):
//   - fp8:  e4m3fn codes, scale = max |w| over the block / 448 (DeepSeek's
//           rule), code = the e4m3fn value nearest to w / scale;
//   - int8: signed codes in [-127, 127], scale = max |w| / 127, code =
//           round(w / scale) (llama.cpp's Q8_0 with blocks [1, 32]).
// Divisions and roundings are in double, ties to even, so a reference can
// repeat them exactly (tests/e2e/test_hf_reference.py does).
#ifndef HEXMOE_MODELS_WEIGHTS_QUANTIZE_H_
#define HEXMOE_MODELS_WEIGHTS_QUANTIZE_H_

#include <cstdint>
#include <vector>

#include "models/weights/dequant.h"

namespace hexmoe::weights {

enum class QuantFormat { kFp8E4M3, kInt8 };

struct Quantized {
  std::vector<uint8_t> codes;  ///< one byte each (e4m3fn, or int8 as two's complement)
  std::vector<float> scales;
};

/// The e4m3fn code nearest to `v` (ties to the even code), saturating at
/// ±448; never the NaN code.
uint8_t nearestE4m3(double v);

/// Quantises `matrices` row-major [rows, cols] f32 matrices at `w`.
Quantized quantizeBlocks(const float* w, int64_t matrices, int64_t rows, int64_t cols, BlockSize block,
                         QuantFormat format);

}  // namespace hexmoe::weights

#endif  // HEXMOE_MODELS_WEIGHTS_QUANTIZE_H_
