// Dequantisation of block-scaled FP8 weights, as DeepSeek-V3/R1 ship them.
//
// A weight W [R, C] in F8_E4M3 comes with `weight_scale_inv` S
// [ceil(R / br), ceil(C / bc)] (br x bc = quantization_config's
// weight_block_size, 128 x 128): W[r][c] * S[r / br][c / bc] is the value.
// Blocks at the right and bottom edges may be partial (DeepSeek zero-pads a
// partial block before taking its scale, so the rule is the same); this is
// DeepSeek's inference/kernel.py weight_dequant.
#ifndef HEXMOE_MODELS_WEIGHTS_DEQUANT_H_
#define HEXMOE_MODELS_WEIGHTS_DEQUANT_H_

#include <cstdint>

#include "models/weights/checkpoint.h"
#include "runtime/base/status.h"

namespace hexmoe::weights {

struct BlockSize {
  int64_t rows = 128;
  int64_t cols = 128;
};

/// Checks that `weight` is a 2-D F8_E4M3 tensor and `scale` a floating 2-D
/// tensor of its block grid; errors name both tensors.
Status checkBlockFp8(const TensorInfo& weight, const TensorInfo& scale, BlockSize block);

/// Writes rows [rowBegin, rowEnd) of the dequantised weight, row-major
/// (C floats a row), to `out`: callers stream an expert at a time instead of
/// holding an f32 copy of the checkpoint.
Status dequantBlockFp8Rows(const CheckpointTensor& weight, const CheckpointTensor& scale, BlockSize block,
                           int64_t rowBegin, int64_t rowEnd, float* out);

}  // namespace hexmoe::weights

#endif  // HEXMOE_MODELS_WEIGHTS_DEQUANT_H_
