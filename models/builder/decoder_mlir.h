// A whole decoder as moe-dialect MLIR, from a Hugging Face config and its
// checkpoint: what `hexmoe-compile MODEL_DIR` compiles.
//
// One function, `forward`, runs a prefill (T prompt tokens) or a decode step
// (T = 1) alike:
//
//   forward(ids: i32[T], positions: i32[T],
//           k_cache.0: f32[S, kv_heads*head_dim], v_cache.0: ..., (one pair per layer;
//           MLA: latent_cache.N [S, kv_lora_rank], rope_cache.N [S, qk_rope_head_dim]))
//       -> (logits: f32[T, vocab])
//
// The caches are the caller's: each call writes its tokens' keys and values
// at their positions in place (moe.kv_write) and attends to every earlier
// position. Every weight is an argument marked {moe.weight = "<spec>"} naming
// its checkpoint tensors (experts stacked from per-expert tensors, or rows
// split out of transformers 5's packed gate_up_proj), so the artifact refers
// to the checkpoint instead of copying it; the RoPE table is computed here
// and embedded.
//
// Architectures: deepseek_v2/v3 (MLA over a latent cache, dense first
// layers, sigmoid group-limited routing with the correction bias, shared
// experts), mixtral, qwen2_moe (q/k/v biases, a shared expert gated per
// token) and qwen3_moe (q/k norms). Weights are F32, BF16, F16 or DeepSeek's
// block-scaled FP8 (e4m3 weights with `weight_scale_inv`, as moe.dequant:
// the kernels read the e4m3 bytes, never an f32 copy).
#ifndef HEXMOE_MODELS_BUILDER_DECODER_MLIR_H_
#define HEXMOE_MODELS_BUILDER_DECODER_MLIR_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/config/tensor_manifest.h"
#include "models/weights/checkpoint.h"
#include "runtime/base/status.h"

namespace hexmoe::models {

struct BuildOptions {
  /// Cache positions S: the longest prompt plus generated tokens. 0: the
  /// config's max_position_embeddings, at most 4096.
  int64_t maxSeqLen = 0;
  /// Quantise the decoder layers' projections (attention, dense and expert
  /// FFNs; not embeddings, norms, routers or the LM head) of an f32/bf16
  /// checkpoint at build time, into embedded codes and scales that a
  /// moe.dequant reads: fp8 e4m3 in 128x128 blocks, or int8 in groups of 32
  /// along each row (models/weights/quantize.h). FP8 checkpoint tensors stay
  /// as they are.
  enum class Quantize { kNone, kFp8, kInt8 } quantize = Quantize::kNone;
};

struct BuiltModel {
  std::string mlir;
  /// The compiler-made weights the MLIR names (RoPE tables), f32 bytes.
  std::map<std::string, std::vector<uint8_t>> generatedWeights;
  int64_t maxSeqLen = 0;
};

/// RoPE's table [positions, D]: D/2 cosines then D/2 sines of position *
/// inv_freq, as transformers' default, linear and yarn rope types compute
/// them (yarn's attention factor folded in), in double, rounded to f32.
std::vector<float> ropeTable(const ModelConfig& config, int64_t positions, int64_t dim);

StatusOr<BuiltModel> buildDecoderMlir(const ModelConfig& config, const CheckpointLayout& layout,
                                      const weights::Checkpoint& ckpt, const BuildOptions& options);

}  // namespace hexmoe::models

#endif  // HEXMOE_MODELS_BUILDER_DECODER_MLIR_H_
