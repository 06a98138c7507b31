// config.json → ModelConfig, for each supported architecture.
#include "models/config/model_config.h"

#include <sys/stat.h>

#include <set>

#include "runtime/base/json_fields.h"

namespace hexmoe::models {
namespace {

// Generous bounds that keep every product of two of them far inside int64.
constexpr int64_t kMaxVocab = int64_t{1} << 22;
constexpr int64_t kMaxWidth = int64_t{1} << 20;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxHeads = 4096;
constexpr int64_t kMaxExperts = int64_t{1} << 16;
constexpr int64_t kMaxPositions = int64_t{1} << 26;

/// Fields of any model's config.json that do not change what inference
/// computes (training, bookkeeping, tokenizer ids, Python-side options).
const std::set<std::string>& ignoredEverywhere() {
  static const std::set<std::string> keys = {
      "_name_or_path", "architectures", "auto_map", "transformers_version", "use_cache", "initializer_range",
      "bos_token_id", "eos_token_id", "pad_token_id", "attention_dropout", "output_router_logits",
      "router_aux_loss_coef", "router_jitter_noise", "aux_loss_alpha", "seq_aux", "ep_size", "pretraining_tp",
      "return_dict", "output_hidden_states", "output_attentions", "torchscript", "use_return_dict",
      "tokenizer_class", "_attn_implementation_autoset", "model_type"};
  return keys;
}

/// JsonFields that remembers which keys were read, so that what was not read
/// and is not known to be harmless can be refused.
class ConfigReader {
 public:
  ConfigReader(const JsonFields& f) : f_(f) {}

  const JsonFields& fields() const { return f_; }
  bool has(const char* key) {
    read_.insert(key);
    return f_.has(key);
  }
  Status integer(const char* key, int64_t* out, int64_t lo, int64_t hi) {
    read_.insert(key);
    return f_.integer(key, out, lo, hi);
  }
  Status optionalInteger(const char* key, int64_t* out, int64_t lo, int64_t hi) {
    read_.insert(key);
    return f_.optionalInteger(key, out, lo, hi);
  }
  Status optionalNumber(const char* key, double* out, JsonFields::Range range) {
    read_.insert(key);
    return f_.optionalNumber(key, out, range);
  }
  Status optionalBool(const char* key, bool* out) {
    read_.insert(key);
    return f_.optionalBool(key, out);
  }
  Status optionalString(const char* key, std::string* out) {
    read_.insert(key);
    return f_.optionalString(key, out);
  }
  Status optionalChild(const char* key, Json::value_t type, const Json** out) {
    read_.insert(key);
    return f_.optionalChild(key, type, out);
  }
  /// The first of `keys` present (aliases of one field); they must agree.
  Status aliasedInteger(std::initializer_list<const char*> keys, int64_t* out, int64_t lo, int64_t hi, bool required) {
    const char* found = nullptr;
    int64_t value = 0;
    for (const char* key : keys) {
      int64_t v = 0;
      if (!has(key)) continue;
      HEXMOE_RETURN_IF_ERROR(f_.integer(key, &v, lo, hi));
      if (found && v != value)
        return f_.errorAt(key, std::to_string(v) + " disagrees with " + found + " = " + std::to_string(value));
      found = key, value = v;
    }
    if (!found) {
      if (!required) return okStatus();
      std::string names;
      for (const char* key : keys) names += std::string(names.empty() ? "" : " or ") + key;
      return f_.error(*keys.begin(), "missing (required; spelled " + names + ")");
    }
    *out = value;
    return okStatus();
  }
  Status error(const char* key, const std::string& what) const { return f_.errorAt(key, what); }

  /// Refuses every field neither read nor harmless for this model_type.
  Status noUnknownFields(const std::string& modelType) const {
    for (auto it = f_.json().begin(); it != f_.json().end(); ++it) {
      const std::string& key = it.key();
      if (read_.count(key) || ignoredEverywhere().count(key)) continue;
      return f_.error(key, "unsupported field for model_type \"" + modelType +
                               "\": hexmoe does not know what it changes (docs/models.md lists the fields read)");
    }
    return okStatus();
  }

 private:
  const JsonFields& f_;
  std::set<std::string> read_;
};

/// The fields of rope_scaling (the hub's spelling) or rope_parameters
/// (transformers 5's, which also holds rope_theta).
Status readRopeFields(const JsonFields& r, RopeConfig* rope) {
  // rope_scaling says "type" (older) or "rope_type"; rope_parameters "rope_type".
  std::string type;
  for (const char* key : {"rope_type", "type"}) {
    std::string t;
    HEXMOE_RETURN_IF_ERROR(r.optionalString(key, &t));
    if (t.empty()) continue;
    if (!type.empty() && t != type) return r.errorAt(key, "\"" + t + "\" disagrees with \"" + type + "\"");
    type = t;
  }
  if (!type.empty()) rope->type = type;
  if (rope->type != "default" && rope->type != "linear" && rope->type != "yarn")
    return r.errorAt(r.has("rope_type") ? "rope_type" : "type",
                     "unsupported rope type \"" + rope->type + "\" (default, linear and yarn are)");
  HEXMOE_RETURN_IF_ERROR(r.optionalNumber("factor", &rope->factor, JsonFields::Range::kPositive));
  HEXMOE_RETURN_IF_ERROR(
      r.optionalInteger("original_max_position_embeddings", &rope->originalMaxPositions, 1, kMaxPositions));
  HEXMOE_RETURN_IF_ERROR(r.optionalNumber("beta_fast", &rope->betaFast, JsonFields::Range::kPositive));
  HEXMOE_RETURN_IF_ERROR(r.optionalNumber("beta_slow", &rope->betaSlow, JsonFields::Range::kPositive));
  HEXMOE_RETURN_IF_ERROR(r.optionalNumber("mscale", &rope->mscale, JsonFields::Range::kNonNegative));
  HEXMOE_RETURN_IF_ERROR(r.optionalNumber("mscale_all_dim", &rope->mscaleAllDim, JsonFields::Range::kNonNegative));
  double theta = 0;
  HEXMOE_RETURN_IF_ERROR(r.optionalNumber("rope_theta", &theta, JsonFields::Range::kPositive));
  if (theta > 0) rope->theta = theta;
  if (rope->type == "yarn" && rope->originalMaxPositions == 0)
    return r.errorAt("original_max_position_embeddings", "missing (required by yarn)");
  std::initializer_list<const char*> known = {"rope_type", "type", "factor", "original_max_position_embeddings",
                                              "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "rope_theta"};
  return r.onlyKnown(known);
}

Status readRope(ConfigReader& r, bool interleavedByDefault, RopeConfig* rope) {
  rope->interleaved = interleavedByDefault;
  HEXMOE_RETURN_IF_ERROR(r.optionalBool("rope_interleave", &rope->interleaved));
  double theta = 0;
  HEXMOE_RETURN_IF_ERROR(r.optionalNumber("rope_theta", &theta, JsonFields::Range::kPositive));
  if (theta > 0) rope->theta = theta;
  const Json* scaling = nullptr;
  HEXMOE_RETURN_IF_ERROR(r.optionalChild("rope_scaling", Json::value_t::object, &scaling));
  if (scaling) {
    HEXMOE_ASSIGN_OR_RETURN(JsonFields s, JsonFields::of(r.fields().source(), *scaling, "rope_scaling"));
    HEXMOE_RETURN_IF_ERROR(readRopeFields(s, rope));
  }
  const Json* params = nullptr;
  HEXMOE_RETURN_IF_ERROR(r.optionalChild("rope_parameters", Json::value_t::object, &params));
  if (params) {
    const double hubTheta = rope->theta;
    HEXMOE_ASSIGN_OR_RETURN(JsonFields p, JsonFields::of(r.fields().source(), *params, "rope_parameters"));
    HEXMOE_RETURN_IF_ERROR(readRopeFields(p, rope));
    if (theta > 0 && rope->theta != hubTheta)
      return p.errorAt("rope_theta", "disagrees with the top-level rope_theta");
  }
  return okStatus();
}

Status readDtype(ConfigReader& r, std::string* dtype) {
  std::string a, b;
  HEXMOE_RETURN_IF_ERROR(r.optionalString("torch_dtype", &a));
  HEXMOE_RETURN_IF_ERROR(r.optionalString("dtype", &b));
  if (!a.empty() && !b.empty() && a != b) return r.error("dtype", "\"" + b + "\" disagrees with torch_dtype \"" + a + "\"");
  *dtype = b.empty() ? a : b;
  if (!dtype->empty() && *dtype != "float32" && *dtype != "bfloat16" && *dtype != "float16")
    return r.error(b.empty() ? "torch_dtype" : "dtype",
                   "unsupported dtype \"" + *dtype + "\" (float32, bfloat16 and float16 are)");
  return okStatus();
}

Status readQuantization(ConfigReader& r, ModelConfig* c) {
  const Json* q = nullptr;
  HEXMOE_RETURN_IF_ERROR(r.optionalChild("quantization_config", Json::value_t::object, &q));
  if (!q) return okStatus();
  HEXMOE_ASSIGN_OR_RETURN(JsonFields f, JsonFields::of(c->source, *q, "quantization_config"));
  std::string method, fmt = "e4m3", activations = "dynamic";
  HEXMOE_RETURN_IF_ERROR(f.string("quant_method", &method));
  if (method != "fp8")
    return f.errorAt("quant_method", "unsupported quantisation \"" + method +
                                         "\" (fp8 with block scales, as DeepSeek-V3 ships, is read)");
  HEXMOE_RETURN_IF_ERROR(f.optionalString("fmt", &fmt));
  if (fmt != "e4m3") return f.errorAt("fmt", "unsupported FP8 format \"" + fmt + "\" (e4m3 is)");
  HEXMOE_RETURN_IF_ERROR(f.optionalString("activation_scheme", &activations));
  if (activations != "dynamic")
    return f.errorAt("activation_scheme", "unsupported \"" + activations + "\" (dynamic: activations stay in "
                                          "floating point)");
  Fp8Quantization fp8;
  const Json* block = nullptr;
  HEXMOE_RETURN_IF_ERROR(f.optionalChild("weight_block_size", Json::value_t::array, &block));
  if (block) {
    if (block->size() != 2) return f.errorAt("weight_block_size", "expected [rows, cols]");
    HEXMOE_RETURN_IF_ERROR(
        checkJsonInteger(c->source, "quantization_config.weight_block_size[0]", (*block)[0], 1, 4096, &fp8.blockRows));
    HEXMOE_RETURN_IF_ERROR(
        checkJsonInteger(c->source, "quantization_config.weight_block_size[1]", (*block)[1], 1, 4096, &fp8.blockCols));
  } else {
    return f.errorAt("weight_block_size", "missing: per-tensor FP8 scales are not supported, block scales are");
  }
  HEXMOE_RETURN_IF_ERROR(
      f.onlyKnown({"quant_method", "fmt", "activation_scheme", "weight_block_size", "modules_to_not_convert"}));
  c->fp8 = fp8;
  return okStatus();
}

/// The fields every architecture shares.
Status readCommon(ConfigReader& r, ModelConfig* c) {
  HEXMOE_RETURN_IF_ERROR(r.integer("vocab_size", &c->vocabSize, 1, kMaxVocab));
  HEXMOE_RETURN_IF_ERROR(r.integer("hidden_size", &c->hiddenSize, 1, kMaxWidth));
  HEXMOE_RETURN_IF_ERROR(r.integer("num_hidden_layers", &c->numLayers, 1, kMaxLayers));
  HEXMOE_RETURN_IF_ERROR(r.integer("num_attention_heads", &c->numHeads, 1, kMaxHeads));
  c->numKvHeads = c->numHeads;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("num_key_value_heads", &c->numKvHeads, 1, kMaxHeads));
  if (c->numHeads % c->numKvHeads != 0)
    return r.error("num_key_value_heads", std::to_string(c->numKvHeads) + " does not divide num_attention_heads (" +
                                              std::to_string(c->numHeads) + ")");
  c->maxPositions = 4096;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("max_position_embeddings", &c->maxPositions, 1, kMaxPositions));
  HEXMOE_RETURN_IF_ERROR(r.optionalNumber("rms_norm_eps", &c->rmsNormEps, JsonFields::Range::kPositive));
  HEXMOE_RETURN_IF_ERROR(r.optionalBool("tie_word_embeddings", &c->tieWordEmbeddings));
  std::string act = "silu";
  HEXMOE_RETURN_IF_ERROR(r.optionalString("hidden_act", &act));
  if (act != "silu") return r.error("hidden_act", "unsupported activation \"" + act + "\" (silu is)");
  HEXMOE_RETURN_IF_ERROR(readDtype(r, &c->dtype));
  HEXMOE_RETURN_IF_ERROR(readQuantization(r, c));
  return okStatus();
}

/// transformers 5's per-layer attention kinds.
Status readLayerTypes(ConfigReader& r, const ModelConfig& c) {
  const Json* types = nullptr;
  HEXMOE_RETURN_IF_ERROR(r.optionalChild("layer_types", Json::value_t::array, &types));
  if (!types) return okStatus();
  if (static_cast<int64_t>(types->size()) != c.numLayers)
    return r.error("layer_types", "has " + std::to_string(types->size()) + " entries for " +
                                      std::to_string(c.numLayers) + " layers");
  for (size_t i = 0; i < types->size(); ++i) {
    const Json& t = (*types)[i];
    const bool full = t == "full_attention", sliding = t == "sliding_attention";
    if (!(full || sliding) || (sliding && !c.slidingWindow) || (full && c.slidingWindow))
      return r.fields().error(indexJsonPath("layer_types", i),
                              "unsupported " + describeJsonValue(t) +
                                  (c.slidingWindow ? " (sliding_window is set: every layer slides)"
                                                   : " (no sliding_window: every layer is full_attention)"));
  }
  return okStatus();
}

Status readRouting(ConfigReader& r, ModelConfig* c) {
  if (c->topK > c->numExperts)
    return r.error("num_experts_per_tok", std::to_string(c->topK) + " is more than the " +
                                              std::to_string(c->numExperts) + " experts");
  if (c->numExperts % c->nGroup != 0)
    return r.error("n_group", std::to_string(c->nGroup) + " does not divide the " + std::to_string(c->numExperts) +
                                  " experts into equal groups");
  if (c->topkGroup > c->nGroup)
    return r.error("topk_group", std::to_string(c->topkGroup) + " is more than n_group (" +
                                     std::to_string(c->nGroup) + ")");
  if (c->topkGroup * (c->numExperts / c->nGroup) < c->topK)
    return r.error("topk_group", std::to_string(c->topkGroup) + " groups of " +
                                     std::to_string(c->numExperts / c->nGroup) + " experts cannot supply top-" +
                                     std::to_string(c->topK));
  return okStatus();
}

Status readDeepseek(ConfigReader& r, ModelConfig* c, bool v3) {
  HEXMOE_RETURN_IF_ERROR(r.integer("intermediate_size", &c->denseIntermediate, 1, kMaxWidth));
  HEXMOE_RETURN_IF_ERROR(r.integer("moe_intermediate_size", &c->expertIntermediate, 1, kMaxWidth));
  HEXMOE_RETURN_IF_ERROR(
      r.aliasedInteger({"n_routed_experts", "num_local_experts"}, &c->numExperts, 1, kMaxExperts, true));
  HEXMOE_RETURN_IF_ERROR(r.integer("num_experts_per_tok", &c->topK, 1, kMaxExperts));
  int64_t shared = 0;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("n_shared_experts", &shared, 0, 64));
  c->sharedIntermediate = shared * c->expertIntermediate;
  HEXMOE_RETURN_IF_ERROR(
      r.optionalNumber("routed_scaling_factor", &c->routedScalingFactor, JsonFields::Range::kPositive));
  HEXMOE_RETURN_IF_ERROR(r.integer("kv_lora_rank", &c->kvLoraRank, 1, kMaxWidth));
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("q_lora_rank", &c->qLoraRank, 1, kMaxWidth));
  HEXMOE_RETURN_IF_ERROR(r.integer("qk_rope_head_dim", &c->qkRopeHeadDim, 2, 4096));
  HEXMOE_RETURN_IF_ERROR(r.integer("qk_nope_head_dim", &c->qkNopeHeadDim, 0, 4096));
  HEXMOE_RETURN_IF_ERROR(r.integer("v_head_dim", &c->vHeadDim, 1, 4096));
  if (c->qkRopeHeadDim % 2) return r.error("qk_rope_head_dim", "must be even (RoPE rotates pairs)");
  // transformers 5 writes head_dim = qk_rope_head_dim; MLA does not use it.
  int64_t headDim = c->qkRopeHeadDim;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("head_dim", &headDim, 1, 4096));
  c->headDim = c->qkNopeHeadDim + c->qkRopeHeadDim;
  // transformers 5 writes qk_head_dim as well: the sum, or a config we misread.
  int64_t qkHeadDim = c->headDim;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("qk_head_dim", &qkHeadDim, 1, 8192));
  if (qkHeadDim != c->headDim)
    return r.error("qk_head_dim", std::to_string(qkHeadDim) + " is not qk_nope_head_dim + qk_rope_head_dim (" +
                                      std::to_string(c->headDim) + ")");

  std::string method = v3 ? "noaux_tc" : "greedy";
  HEXMOE_RETURN_IF_ERROR(r.optionalString("topk_method", &method));
  c->scoring = v3 ? "sigmoid" : "softmax";
  HEXMOE_RETURN_IF_ERROR(r.optionalString("scoring_func", &c->scoring));
  if (c->scoring != "softmax" && c->scoring != "sigmoid")
    return r.error("scoring_func", "unsupported \"" + c->scoring + "\" (softmax and sigmoid are)");
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("n_group", &c->nGroup, 1, kMaxExperts));
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("topk_group", &c->topkGroup, 1, kMaxExperts));
  if (method == "noaux_tc") {
    c->correctionBias = true;
  } else if (method == "greedy") {
    c->nGroup = c->topkGroup = 1;  // greedy ignores groups
  } else if (method == "group_limited_greedy") {
    return r.error("topk_method", "unsupported \"group_limited_greedy\" (DeepSeek-V2 rates groups by their best "
                                  "expert; noaux_tc and greedy are supported)");
  } else {
    return r.error("topk_method", "unsupported \"" + method + "\" (noaux_tc and greedy are)");
  }
  HEXMOE_RETURN_IF_ERROR(r.optionalBool("norm_topk_prob", &c->normTopkProb));
  HEXMOE_RETURN_IF_ERROR(readRouting(r, c));

  int64_t firstDense = 0, freq = 1;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("first_k_dense_replace", &firstDense, 0, kMaxLayers));
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("moe_layer_freq", &freq, 1, kMaxLayers));
  c->moeLayers.resize(static_cast<size_t>(c->numLayers));
  for (int64_t i = 0; i < c->numLayers; ++i) c->moeLayers[i] = i >= firstDense && i % freq == 0;
  bool bias = false;
  HEXMOE_RETURN_IF_ERROR(r.optionalBool("attention_bias", &bias));
  if (bias) return r.error("attention_bias", "unsupported true for MLA attention");
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("num_nextn_predict_layers", &c->numNextnPredictLayers, 0, 16));
  return readRope(r, /*interleavedByDefault=*/true, &c->rope);
}

Status readMixtral(ConfigReader& r, ModelConfig* c) {
  HEXMOE_RETURN_IF_ERROR(r.integer("intermediate_size", &c->expertIntermediate, 1, kMaxWidth));
  HEXMOE_RETURN_IF_ERROR(
      r.aliasedInteger({"num_local_experts", "num_experts"}, &c->numExperts, 1, kMaxExperts, true));
  HEXMOE_RETURN_IF_ERROR(r.integer("num_experts_per_tok", &c->topK, 1, kMaxExperts));
  c->normTopkProb = true;  // Mixtral renormalises its top-k weights
  HEXMOE_RETURN_IF_ERROR(readRouting(r, c));
  c->moeLayers.assign(static_cast<size_t>(c->numLayers), true);
  int64_t window = 0;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("sliding_window", &window, 1, kMaxPositions));
  if (window > 0) c->slidingWindow = window;
  return readRope(r, false, &c->rope);
}

Status readQwen(ConfigReader& r, ModelConfig* c, bool qwen3) {
  HEXMOE_RETURN_IF_ERROR(r.integer("intermediate_size", &c->denseIntermediate, 1, kMaxWidth));
  HEXMOE_RETURN_IF_ERROR(r.integer("moe_intermediate_size", &c->expertIntermediate, 1, kMaxWidth));
  HEXMOE_RETURN_IF_ERROR(
      r.aliasedInteger({"num_experts", "num_local_experts"}, &c->numExperts, 1, kMaxExperts, true));
  HEXMOE_RETURN_IF_ERROR(r.integer("num_experts_per_tok", &c->topK, 1, kMaxExperts));
  HEXMOE_RETURN_IF_ERROR(r.optionalBool("norm_topk_prob", &c->normTopkProb));
  HEXMOE_RETURN_IF_ERROR(readRouting(r, c));
  if (!qwen3) {
    HEXMOE_RETURN_IF_ERROR(r.optionalInteger("shared_expert_intermediate_size", &c->sharedIntermediate, 0, kMaxWidth));
    c->sharedExpertGate = c->sharedIntermediate > 0;
    c->qkvBias = true;
    HEXMOE_RETURN_IF_ERROR(r.optionalBool("qkv_bias", &c->qkvBias));
  } else {
    c->qkNorm = true;
    bool bias = false;
    HEXMOE_RETURN_IF_ERROR(r.optionalBool("attention_bias", &bias));
    c->qkvBias = c->outputBias = bias;
  }
  int64_t step = 1;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("decoder_sparse_step", &step, 1, kMaxLayers));
  c->moeLayers.resize(static_cast<size_t>(c->numLayers));
  for (int64_t i = 0; i < c->numLayers; ++i) c->moeLayers[i] = (i + 1) % step == 0;
  const Json* mlpOnly = nullptr;
  HEXMOE_RETURN_IF_ERROR(r.optionalChild("mlp_only_layers", Json::value_t::array, &mlpOnly));
  if (mlpOnly) {
    for (size_t i = 0; i < mlpOnly->size(); ++i) {
      int64_t layer;
      HEXMOE_RETURN_IF_ERROR(checkJsonInteger(c->source, indexJsonPath("mlp_only_layers", i), (*mlpOnly)[i], 0,
                                              c->numLayers - 1, &layer));
      c->moeLayers[layer] = false;
    }
  }
  bool sliding = false;
  HEXMOE_RETURN_IF_ERROR(r.optionalBool("use_sliding_window", &sliding));
  if (sliding) return r.error("use_sliding_window", "unsupported true (Qwen's per-layer sliding windows)");
  // Without use_sliding_window these two change nothing.
  int64_t unused = 0;
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("sliding_window", &unused, 0, kMaxPositions));
  HEXMOE_RETURN_IF_ERROR(r.optionalInteger("max_window_layers", &unused, 0, kMaxLayers));
  return readRope(r, false, &c->rope);
}

}  // namespace

const char* architectureName(Architecture a) {
  switch (a) {
    case Architecture::kDeepseekV2: return "deepseek_v2";
    case Architecture::kDeepseekV3: return "deepseek_v3";
    case Architecture::kMixtral: return "mixtral";
    case Architecture::kQwen2Moe: return "qwen2_moe";
    case Architecture::kQwen3Moe: return "qwen3_moe";
  }
  return "?";
}

StatusOr<ModelConfig> parseModelConfig(const std::string& text, const std::string& source) {
  Json json;
  HEXMOE_RETURN_IF_ERROR(parseJsonText(text, source, &json));
  HEXMOE_ASSIGN_OR_RETURN(JsonFields f, JsonFields::of(source, json, ""));
  ModelConfig c;
  c.source = source;
  std::string type;
  HEXMOE_RETURN_IF_ERROR(f.string("model_type", &type));
  const std::pair<const char*, Architecture> known[] = {
      {"deepseek_v2", Architecture::kDeepseekV2}, {"deepseek_v3", Architecture::kDeepseekV3},
      {"mixtral", Architecture::kMixtral},        {"qwen2_moe", Architecture::kQwen2Moe},
      {"qwen3_moe", Architecture::kQwen3Moe}};
  bool found = false;
  for (const auto& [name, arch] : known)
    if (type == name) c.architecture = arch, found = true;
  if (!found)
    return f.errorAt("model_type", "unsupported model type \"" + type +
                                       "\" (deepseek_v2, deepseek_v3, mixtral, qwen2_moe and qwen3_moe are)");

  ConfigReader r(f);
  HEXMOE_RETURN_IF_ERROR(readCommon(r, &c));
  switch (c.architecture) {
    case Architecture::kDeepseekV2:
    case Architecture::kDeepseekV3:
      HEXMOE_RETURN_IF_ERROR(readDeepseek(r, &c, c.architecture == Architecture::kDeepseekV3));
      break;
    case Architecture::kMixtral: {
      int64_t headDim = c.hiddenSize / c.numHeads;
      HEXMOE_RETURN_IF_ERROR(r.optionalInteger("head_dim", &headDim, 2, 4096));
      c.headDim = headDim;
      HEXMOE_RETURN_IF_ERROR(readMixtral(r, &c));
      break;
    }
    case Architecture::kQwen2Moe:
    case Architecture::kQwen3Moe: {
      int64_t headDim = c.hiddenSize / c.numHeads;
      HEXMOE_RETURN_IF_ERROR(r.optionalInteger("head_dim", &headDim, 2, 4096));
      c.headDim = headDim;
      HEXMOE_RETURN_IF_ERROR(readQwen(r, &c, c.architecture == Architecture::kQwen3Moe));
      break;
    }
  }
  if (!c.isMla()) {
    if (!f.has("head_dim") && c.hiddenSize % c.numHeads != 0)
      return f.errorAt("num_attention_heads", std::to_string(c.numHeads) + " does not divide hidden_size (" +
                                                  std::to_string(c.hiddenSize) + "); give head_dim");
    if (c.headDim % 2) return f.errorAt("head_dim", std::to_string(c.headDim) + " must be even (RoPE rotates pairs)");
  }
  HEXMOE_RETURN_IF_ERROR(readLayerTypes(r, c));
  HEXMOE_RETURN_IF_ERROR(r.noUnknownFields(type));
  return c;
}

StatusOr<ModelConfig> readModelConfig(const std::string& dir) {
  const std::string path = dir + "/config.json";
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return notFound(path + ": no such file (is " + dir + " a model directory?)");
  if (st.st_size > (16 << 20)) return invalidArgument(path + ": " + std::to_string(st.st_size) + " bytes, too large for a config");
  HEXMOE_ASSIGN_OR_RETURN(std::string text, readTextFile(path));
  return parseModelConfig(text, path);
}

}  // namespace hexmoe::models
