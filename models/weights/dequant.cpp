// Dequantisation of block-scaled FP8 weights.
#include "models/weights/dequant.h"

#include <vector>

namespace hexmoe::weights {

Status checkBlockFp8(const TensorInfo& weight, const TensorInfo& scale, BlockSize block) {
  const std::string pair = "tensor '" + weight.name + "' with scales '" + scale.name + "': ";
  if (block.rows < 1 || block.cols < 1)
    return invalidArgument(pair + "block size " + std::to_string(block.rows) + "x" + std::to_string(block.cols) +
                           " is not positive");
  if (weight.dtype != DType::kF8E4M3 || weight.shape.size() != 2)
    return invalidArgument(pair + "the weight is " + weight.describe() + ", not a 2-D F8_E4M3 tensor");
  if (!isFloating(scale.dtype) || scale.shape.size() != 2)
    return invalidArgument(pair + "the scales are " + scale.describe() + ", not a 2-D floating tensor");
  const int64_t gridRows = (weight.shape[0] + block.rows - 1) / block.rows;
  const int64_t gridCols = (weight.shape[1] + block.cols - 1) / block.cols;
  if (scale.shape[0] != gridRows || scale.shape[1] != gridCols)
    return invalidArgument(pair + "the scales are " + scale.describe() + ", but a " + weight.describe() +
                           " weight in " + std::to_string(block.rows) + "x" + std::to_string(block.cols) +
                           " blocks needs [" + std::to_string(gridRows) + ", " + std::to_string(gridCols) + "]");
  return okStatus();
}

Status dequantBlockFp8Rows(const CheckpointTensor& weight, const CheckpointTensor& scale, BlockSize block,
                           int64_t rowBegin, int64_t rowEnd, float* out) {
  HEXMOE_RETURN_IF_ERROR(checkBlockFp8(*weight.info, *scale.info, block));
  const int64_t rows = weight.info->shape[0], cols = weight.info->shape[1];
  if (rowBegin < 0 || rowEnd > rows || rowBegin > rowEnd)
    return outOfRange("tensor '" + weight.info->name + "': rows [" + std::to_string(rowBegin) + ", " +
                      std::to_string(rowEnd) + ") outside [0, " + std::to_string(rows) + ")");
  const int64_t gridCols = scale.info->shape[1];
  std::vector<float> scales(static_cast<size_t>(gridCols));
  const uint8_t* w = weight.bytes();
  const size_t scaleWidth = dtypeSize(scale.info->dtype);
  for (int64_t r = rowBegin; r < rowEnd; ++r) {
    convertToF32(scale.info->dtype, scale.bytes() + static_cast<size_t>((r / block.rows) * gridCols) * scaleWidth,
                 scales.size(), scales.data());
    const uint8_t* row = w + static_cast<size_t>(r * cols);
    float* dst = out + static_cast<size_t>((r - rowBegin) * cols);
    for (int64_t c = 0; c < cols; ++c) dst[c] = f8e4m3ToF32(row[c]) * scales[static_cast<size_t>(c / block.cols)];
  }
  return okStatus();
}

}  // namespace hexmoe::weights
