// A Hugging Face config.json, read into what hexmoe builds a model from.
//
// Architectures: DeepSeek-V2/V3/R1 (`deepseek_v2`, `deepseek_v3`: MLA,
// dense first layers, routed + shared experts, sigmoid group-limited routing
// with the correction bias), Mixtral (`mixtral`), Qwen2-MoE (`qwen2_moe`:
// shared expert with a sigmoid gate, q/k/v biases) and Qwen3-MoE
// (`qwen3_moe`: q/k norms, explicit head_dim). Field names and meanings are
// transformers'; both spellings are read: the hub's (`rope_theta` +
// `rope_scaling`, `torch_dtype`, `num_experts` / `n_routed_experts`) and what
// transformers 5 writes (`rope_parameters`, `dtype`, `num_local_experts`).
//
// A model_type not listed, a field this reader does not know for that
// model_type, or a value it cannot run (another activation, a rope type,
// a quantisation method, Qwen's sliding windows) is an error naming the file
// and the field: a field silently ignored could change what the model
// computes.
#ifndef HEXMOE_MODELS_CONFIG_MODEL_CONFIG_H_
#define HEXMOE_MODELS_CONFIG_MODEL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace hexmoe::models {

enum class Architecture { kDeepseekV2, kDeepseekV3, kMixtral, kQwen2Moe, kQwen3Moe };

/// The model_type string of `a` ("deepseek_v3").
const char* architectureName(Architecture a);

/// Rotary position embedding.
struct RopeConfig {
  double theta = 10000.0;
  /// "default", "linear" or "yarn".
  std::string type = "default";
  double factor = 1.0;
  // YaRN (DeepSeek's rope_scaling):
  int64_t originalMaxPositions = 0;
  double betaFast = 32.0;
  double betaSlow = 1.0;
  double mscale = 1.0;
  double mscaleAllDim = 0.0;
  /// Rotate interleaved pairs (x0, x1), (x2, x3)... as DeepSeek's reference
  /// does, instead of halves; transformers 5's `rope_interleave`.
  bool interleaved = false;
};

/// DeepSeek's FP8 checkpoints: e4m3 weights, a `weight_scale_inv` per block.
struct Fp8Quantization {
  int64_t blockRows = 128;
  int64_t blockCols = 128;
};

struct ModelConfig {
  /// config.json's path, for messages.
  std::string source;
  Architecture architecture = Architecture::kMixtral;

  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;
  /// Per-head q/k/v size for GQA attention (hidden / heads unless given).
  int64_t headDim = 0;
  int64_t maxPositions = 0;
  double rmsNormEps = 1e-6;
  RopeConfig rope;
  bool tieWordEmbeddings = false;
  /// q/k/v projections have biases (Qwen2-MoE; attention_bias elsewhere,
  /// which gives o_proj one too).
  bool qkvBias = false;
  bool outputBias = false;
  /// Per-head RMSNorm of q and k before RoPE (Qwen3-MoE).
  bool qkNorm = false;
  /// Mixtral's sliding-window attention, when configured.
  std::optional<int64_t> slidingWindow;
  /// The checkpoint's dtype as config.json states it ("bfloat16"), or "".
  std::string dtype;

  // MLA (DeepSeek): qLoraRank 0 means q is projected directly (V2-Lite).
  int64_t qLoraRank = 0;
  int64_t kvLoraRank = 0;
  int64_t qkNopeHeadDim = 0;
  int64_t qkRopeHeadDim = 0;
  int64_t vHeadDim = 0;

  // Feed-forward: layers with routed experts, the others a dense FFN.
  std::vector<bool> moeLayers;
  int64_t denseIntermediate = 0;
  int64_t numExperts = 0;
  int64_t topK = 0;
  int64_t expertIntermediate = 0;
  /// "softmax" or "sigmoid".
  std::string scoring = "softmax";
  bool normTopkProb = false;
  double routedScalingFactor = 1.0;
  int64_t nGroup = 1;
  int64_t topkGroup = 1;
  /// DeepSeek-V3's `e_score_correction_bias` (topk_method noaux_tc).
  bool correctionBias = false;
  /// Shared experts as one FFN of this size (0: none): DeepSeek's
  /// n_shared_experts x moe_intermediate_size, Qwen2-MoE's
  /// shared_expert_intermediate_size.
  int64_t sharedIntermediate = 0;
  /// Qwen2-MoE scales the shared expert by sigmoid(hidden . gate).
  bool sharedExpertGate = false;

  std::optional<Fp8Quantization> fp8;
  /// DeepSeek-V3's multi-token-prediction layers (stored after the last
  /// layer; not used for generation).
  int64_t numNextnPredictLayers = 0;

  bool isMla() const { return kvLoraRank > 0; }
  /// The q/k head size attention scores use (MLA: nope + rope).
  int64_t qkHeadDim() const { return isMla() ? qkNopeHeadDim + qkRopeHeadDim : headDim; }
  int64_t valueHeadDim() const { return isMla() ? vHeadDim : headDim; }
};

/// Parses config.json text; `source` names it in errors.
StatusOr<ModelConfig> parseModelConfig(const std::string& text, const std::string& source);
/// Reads `dir`/config.json.
StatusOr<ModelConfig> readModelConfig(const std::string& dir);

}  // namespace hexmoe::models

#endif  // HEXMOE_MODELS_CONFIG_MODEL_CONFIG_H_
