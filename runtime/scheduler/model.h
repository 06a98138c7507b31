// The shapes of a MoE model that placement needs: how many MoE layers and
// experts, how big an expert is in bytes and FLOPs, what the attention and
// dense parts weigh. Read from a Hugging Face config.json, or from the
// normalised `hexmoe-model` JSON a plan carries.
#ifndef HEXMOE_RUNTIME_SCHEDULER_MODEL_H_
#define HEXMOE_RUNTIME_SCHEDULER_MODEL_H_

#include <string>
#include <vector>

#include "runtime/scheduler/dtype.h"
#include "runtime/base/json_fields.h"
#include "runtime/base/status.h"

namespace hexmoe::scheduler {

struct ModelShape {
  std::string name;
  std::string architecture;  // Hugging Face model_type
  int num_layers = 0;
  std::vector<int> moe_layers;  // indices of the layers with routed experts
  int num_experts = 0;
  int top_k = 0;
  int hidden_size = 0;
  int expert_intermediate_size = 0;
  int shared_intermediate_size = 0;  // all shared experts of a layer together; 0 if none
  int dense_intermediate_size = 0;   // the FFN of non-MoE layers
  int vocab_size = 0;
  bool tied_embeddings = false;
  int n_group = 1;  // DeepSeek-V3 expert groups; EPLB's hierarchical mode packs them to nodes
  int topk_group = 1;  // groups a token's experts come from (absent in a config: n_group)
  DType weight_dtype = DType::kBf16;
  DType activation_dtype = DType::kBf16;
  double attention_params_per_layer = 0;
  double kv_bytes_per_token_per_layer = 0;
  double attention_flops_per_token_per_context = 0;  // score and value products, per cached token

  int numMoeLayers() const { return static_cast<int>(moe_layers.size()); }
  int numDenseLayers() const { return num_layers - numMoeLayers(); }
  /// gate, up and down projections: 3 * hidden * intermediate.
  double expertParams() const { return 3.0 * hidden_size * expert_intermediate_size; }
  double expertBytes() const { return expertParams() * weightBytesPerParam(weight_dtype); }
  double expertFlopsPerToken() const { return 2.0 * expertParams(); }
  double activationBytesPerToken() const;
  /// Everything but routed experts: attention, routers, dense FFNs, shared
  /// experts, embeddings and LM head. Each attention device holds a copy.
  double nonExpertBytes() const;
};

/// Reads a Hugging Face config.json (DeepSeek-V2/V3, Mixtral, Qwen2/3-MoE,
/// OLMoE and alikes) or a `hexmoe-model` document.
StatusOr<ModelShape> parseModelConfig(const std::string& text, const std::string& source);

/// A model directory (its config.json) or a config file. Compiled artifacts
/// (.hxm) are recognised and refused with an explanation: not read yet.
StatusOr<ModelShape> loadModel(const std::string& path);

Json modelToJson(const ModelShape& model);

}  // namespace hexmoe::scheduler

#endif  // HEXMOE_RUNTIME_SCHEDULER_MODEL_H_
