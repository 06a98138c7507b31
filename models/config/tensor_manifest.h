// The tensors a checkpoint of a given config.json must hold, with their
// Hugging Face names and shapes, and the check of a checkpoint against them.
//
// Both expert layouts found in the wild are read: one tensor per expert and
// projection (`mlp.experts.{j}.gate_proj.weight`, as v4-era hub checkpoints;
// Mixtral's `block_sparse_moe.experts.{j}.w1/w3/w2`), and transformers 5's
// packed `mlp.experts.gate_up_proj [E, 2I, H]` (gate rows first) and
// `mlp.experts.down_proj [E, H, I]`.
#ifndef HEXMOE_MODELS_CONFIG_TENSOR_MANIFEST_H_
#define HEXMOE_MODELS_CONFIG_TENSOR_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "models/config/model_config.h"
#include "models/weights/checkpoint.h"
#include "runtime/base/status.h"

namespace hexmoe::models {

enum class ExpertLayout { kPerExpert, kPacked };

/// Where a checkpoint keeps its MoE blocks.
struct CheckpointLayout {
  ExpertLayout experts = ExpertLayout::kPerExpert;
  /// "mlp", or Mixtral's legacy "block_sparse_moe" (w1 = gate, w3 = up,
  /// w2 = down).
  std::string moePrefix = "mlp";
};

struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};

/// Every tensor `config` implies in `layout`, in layer order.
std::vector<ExpectedTensor> expectedTensors(const ModelConfig& config, const CheckpointLayout& layout);

/// Finds the layout `ckpt` uses and checks it holds exactly what `config`
/// implies: each tensor present with its shape and a floating dtype; FP8
/// weights with a block-scale grid of the right shape (and config.json's
/// quantization_config); nothing else but DeepSeek's multi-token-prediction
/// layers and rotary caches. Errors name the tensor, the shapes and the
/// config field (missing or extra experts say which expert of which layer).
StatusOr<CheckpointLayout> checkCheckpoint(const ModelConfig& config, const weights::Checkpoint& ckpt);

/// The name of expert `j`'s projection `proj` ("gate", "up" or "down") in
/// layer `layer`, per-expert layout.
std::string expertTensorName(const CheckpointLayout& layout, int64_t layer, int64_t j, const std::string& proj);

}  // namespace hexmoe::models

#endif  // HEXMOE_MODELS_CONFIG_TENSOR_MANIFEST_H_
