#include "runtime/scheduler/model.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace hexmoe::scheduler {

double ModelShape::activationBytesPerToken() const {
  return static_cast<double>(hidden_size) * weightBytesPerParam(activation_dtype);
}

double ModelShape::nonExpertBytes() const {
  double weight_bytes = weightBytesPerParam(weight_dtype);
  double attention = static_cast<double>(num_layers) * attention_params_per_layer;
  double dense = static_cast<double>(numDenseLayers()) * 3.0 * hidden_size * dense_intermediate_size;
  double shared = static_cast<double>(numMoeLayers()) * 3.0 * hidden_size * shared_intermediate_size;
  // Routers, embeddings and the LM head stay in bf16 in quantised checkpoints.
  double routers = static_cast<double>(numMoeLayers()) * num_experts * hidden_size;
  double embeddings = static_cast<double>(vocab_size) * hidden_size * (tied_embeddings ? 1 : 2);
  return (attention + dense + shared) * weight_bytes + (routers + embeddings) * 2.0;
}

/// No config field comes near this; every int the model keeps fits in 32 bits.
constexpr int64_t kMaxConfigInt = int64_t{1} << 30;
/// Layers and routed experts size every per-layer and per-expert table of a
/// plan (and, times the devices, the scheduler's working set): well beyond any
/// published model (DeepSeek-V3: 61 layers, 256 experts; Kimi K2: 384).
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxExperts = 4096;

/// Reads an optional int field that Hugging Face configs sometimes set to null.
static Status optionalInt(const JsonFields& f, const char* key, int* out, int min_value,
                          int64_t max_value = kMaxConfigInt) {
  int64_t value = *out;
  HEXMOE_RETURN_IF_ERROR(f.optionalInteger(key, &value, min_value, max_value));
  *out = static_cast<int>(value);
  return okStatus();
}

static Status requiredInt(const JsonFields& f, const char* key, int* out, int min_value,
                          int64_t max_value = kMaxConfigInt) {
  if (!f.has(key)) return f.errorAt(key, "missing (required)");
  return optionalInt(f, key, out, min_value, max_value);
}

/// The first of `keys` that is present, or an error naming them all.
static Status firstOf(const JsonFields& f, std::initializer_list<const char*> keys, int* out,
                      const char* what, int64_t max_value = kMaxConfigInt) {
  for (const char* key : keys) {
    if (f.has(key)) return optionalInt(f, key, out, 1, max_value);
  }
  std::string list;
  for (const char* key : keys) list += std::string(list.empty() ? "" : ", ") + key;
  return f.error(*keys.begin(), std::string("missing: expected one of ") + list + " (" + what + ")");
}

/// What routing needs of the shape, for both readers: top-k within the
/// experts, expert groups that split them evenly (EPLB packs whole groups to
/// nodes) and enough selected groups to supply top-k experts.
static Status checkRouting(const JsonFields& f, const ModelShape& m, const char* top_k_key) {
  std::string experts = std::to_string(m.num_experts);
  if (m.top_k > m.num_experts) return f.errorAt(top_k_key, "larger than the number of experts (" + experts + ")");
  if (m.num_experts % m.n_group != 0) {
    return f.errorAt("n_group", std::to_string(m.n_group) + " does not divide the number of experts (" + experts +
                                    ") into equal groups");
  }
  if (m.topk_group > m.n_group) {
    return f.errorAt("topk_group", std::to_string(m.topk_group) + " is larger than n_group (" +
                                       std::to_string(m.n_group) + ")");
  }
  int group_size = m.num_experts / m.n_group;
  if (static_cast<int64_t>(m.topk_group) * group_size < m.top_k) {
    return f.errorAt("topk_group", std::to_string(m.topk_group) + " groups of " + std::to_string(group_size) +
                                       " experts cannot supply the " + std::to_string(m.top_k) +
                                       " experts each token is routed to");
  }
  return okStatus();
}

static Status parseWeightDType(const JsonFields& f, ModelShape* m) {
  m->weight_dtype = DType::kBf16;
  std::string torch_dtype;
  HEXMOE_RETURN_IF_ERROR(f.optionalString("torch_dtype", &torch_dtype));
  if (!torch_dtype.empty()) {
    std::optional<DType> dtype = parseDType(torch_dtype);
    if (!dtype) return f.errorAt("torch_dtype", "unknown dtype \"" + torch_dtype + "\"");
    m->weight_dtype = *dtype;
  }
  const Json* quant = nullptr;
  HEXMOE_RETURN_IF_ERROR(f.optionalChild("quantization_config", Json::value_t::object, &quant));
  if (quant == nullptr) return okStatus();
  HEXMOE_ASSIGN_OR_RETURN(JsonFields q, JsonFields::of(f.source(), *quant, "quantization_config"));
  std::string method;
  HEXMOE_RETURN_IF_ERROR(q.optionalString("quant_method", &method));
  int bits = 0;
  HEXMOE_RETURN_IF_ERROR(optionalInt(q, "bits", &bits, 1));
  if (method == "fp8") {
    m->weight_dtype = DType::kFp8;
  } else if (bits == 4) {
    m->weight_dtype = DType::kInt4;
  } else if (bits == 8) {
    m->weight_dtype = DType::kInt8;
  } else {
    return q.errorAt("quant_method", "unsupported quantisation \"" + method +
                                         "\" (fp8, or 4/8-bit weight-only with \"bits\")");
  }
  return okStatus();
}

/// Attention weights and KV-cache bytes: multi-head latent attention when the
/// config has kv_lora_rank (DeepSeek-V2/V3), grouped-query attention otherwise.
static Status parseAttention(const JsonFields& f, ModelShape* m) {
  int heads = 0;
  HEXMOE_RETURN_IF_ERROR(requiredInt(f, "num_attention_heads", &heads, 1));
  double h = m->hidden_size;
  if (f.has("kv_lora_rank")) {
    int kv_lora = 0, q_lora = 0, nope = 128, rope = 64, v_dim = 128;
    HEXMOE_RETURN_IF_ERROR(optionalInt(f, "kv_lora_rank", &kv_lora, 1));
    HEXMOE_RETURN_IF_ERROR(optionalInt(f, "q_lora_rank", &q_lora, 0));
    HEXMOE_RETURN_IF_ERROR(optionalInt(f, "qk_nope_head_dim", &nope, 1));
    HEXMOE_RETURN_IF_ERROR(optionalInt(f, "qk_rope_head_dim", &rope, 1));
    HEXMOE_RETURN_IF_ERROR(optionalInt(f, "v_head_dim", &v_dim, 1));
    double qk = nope + rope;
    double q = q_lora > 0 ? h * q_lora + static_cast<double>(q_lora) * heads * qk : h * heads * qk;
    double kv = h * (kv_lora + rope) + static_cast<double>(kv_lora) * heads * (nope + v_dim);
    double o = static_cast<double>(heads) * v_dim * h;
    m->attention_params_per_layer = q + kv + o;
    m->kv_bytes_per_token_per_layer = (kv_lora + rope) * 2.0;
    // Absorbed MLA: scores over the latent plus rope part, values over the latent.
    m->attention_flops_per_token_per_context = 2.0 * heads * (kv_lora + rope + kv_lora);
    return okStatus();
  }
  int kv_heads = heads, head_dim = 0;
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "num_key_value_heads", &kv_heads, 1));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "head_dim", &head_dim, 1));
  if (head_dim == 0) head_dim = m->hidden_size / heads;
  m->attention_params_per_layer = h * heads * head_dim * 2.0 + h * kv_heads * head_dim * 2.0;
  m->kv_bytes_per_token_per_layer = 2.0 * kv_heads * head_dim * 2.0;
  m->attention_flops_per_token_per_context = 4.0 * heads * head_dim;
  return okStatus();
}

/// Which layers carry routed experts, by each family's convention.
static Status parseMoeLayers(const JsonFields& f, ModelShape* m) {
  int first_dense = 0, freq = 1, sparse_step = 1;
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "first_k_dense_replace", &first_dense, 0));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "moe_layer_freq", &freq, 1));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "decoder_sparse_step", &sparse_step, 1));
  std::vector<int> mlp_only;
  const Json* mlp_only_json = nullptr;
  HEXMOE_RETURN_IF_ERROR(f.optionalChild("mlp_only_layers", Json::value_t::array, &mlp_only_json));
  if (mlp_only_json != nullptr) {
    for (size_t i = 0; i < mlp_only_json->size(); ++i) {
      int64_t index = 0;
      HEXMOE_RETURN_IF_ERROR(checkJsonInteger(f.source(), indexJsonPath("mlp_only_layers", i), (*mlp_only_json)[i],
                                              0, kMaxLayers, &index));
      mlp_only.push_back(static_cast<int>(index));
    }
  }
  for (int i = 0; i < m->num_layers; ++i) {
    bool moe = i >= first_dense && i % freq == 0 && (i + 1) % sparse_step == 0 &&
               std::find(mlp_only.begin(), mlp_only.end(), i) == mlp_only.end();
    if (moe) m->moe_layers.push_back(i);
  }
  if (m->moe_layers.empty()) {
    return f.error("num_hidden_layers", "no layer has routed experts with these settings");
  }
  return okStatus();
}

static StatusOr<ModelShape> parseHuggingFace(const JsonFields& f) {
  ModelShape m;
  HEXMOE_RETURN_IF_ERROR(f.optionalString("model_type", &m.architecture));
  m.name = m.architecture.empty() ? f.source() : m.architecture;
  HEXMOE_RETURN_IF_ERROR(f.optionalString("_name_or_path", &m.name));
  HEXMOE_RETURN_IF_ERROR(requiredInt(f, "num_hidden_layers", &m.num_layers, 1, kMaxLayers));
  HEXMOE_RETURN_IF_ERROR(requiredInt(f, "hidden_size", &m.hidden_size, 1));
  HEXMOE_RETURN_IF_ERROR(firstOf(f, {"n_routed_experts", "num_local_experts", "num_experts"},
                                 &m.num_experts, "is this a mixture-of-experts model?", kMaxExperts));
  HEXMOE_RETURN_IF_ERROR(firstOf(f, {"num_experts_per_tok", "moe_topk"}, &m.top_k,
                                 "experts chosen per token", kMaxExperts));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "intermediate_size", &m.dense_intermediate_size, 1));
  HEXMOE_RETURN_IF_ERROR(firstOf(f, {"moe_intermediate_size", "intermediate_size"},
                                 &m.expert_intermediate_size, "the width of one expert"));
  int n_shared = 0;
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "n_shared_experts", &n_shared, 0));
  m.shared_intermediate_size = n_shared * m.expert_intermediate_size;
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "shared_expert_intermediate_size", &m.shared_intermediate_size, 0));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "vocab_size", &m.vocab_size, 1));
  HEXMOE_RETURN_IF_ERROR(f.optionalBool("tie_word_embeddings", &m.tied_embeddings));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "n_group", &m.n_group, 1, kMaxExperts));
  m.topk_group = m.n_group;  // absent: tokens may be routed to any group
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "topk_group", &m.topk_group, 1, kMaxExperts));
  HEXMOE_RETURN_IF_ERROR(checkRouting(f, m, f.has("num_experts_per_tok") ? "num_experts_per_tok" : "moe_topk"));
  HEXMOE_RETURN_IF_ERROR(parseWeightDType(f, &m));
  HEXMOE_RETURN_IF_ERROR(parseAttention(f, &m));
  HEXMOE_RETURN_IF_ERROR(parseMoeLayers(f, &m));
  return m;
}

static StatusOr<ModelShape> parseNormalised(const JsonFields& f) {
  HEXMOE_RETURN_IF_ERROR(f.onlyKnown(
      {"format", "version", "name", "architecture", "num_layers", "moe_layers", "num_experts",
       "top_k", "hidden_size", "expert_intermediate_size", "shared_intermediate_size",
       "dense_intermediate_size", "vocab_size", "tied_embeddings", "n_group", "topk_group",
       "weight_dtype", "activation_dtype", "attention_params_per_layer",
       "kv_bytes_per_token_per_layer", "attention_flops_per_token_per_context"}));
  ModelShape m;
  HEXMOE_RETURN_IF_ERROR(f.optionalString("name", &m.name));
  HEXMOE_RETURN_IF_ERROR(f.optionalString("architecture", &m.architecture));
  HEXMOE_RETURN_IF_ERROR(requiredInt(f, "num_layers", &m.num_layers, 1, kMaxLayers));
  HEXMOE_RETURN_IF_ERROR(requiredInt(f, "num_experts", &m.num_experts, 1, kMaxExperts));
  HEXMOE_RETURN_IF_ERROR(requiredInt(f, "top_k", &m.top_k, 1, kMaxExperts));
  HEXMOE_RETURN_IF_ERROR(requiredInt(f, "hidden_size", &m.hidden_size, 1));
  HEXMOE_RETURN_IF_ERROR(requiredInt(f, "expert_intermediate_size", &m.expert_intermediate_size, 1));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "shared_intermediate_size", &m.shared_intermediate_size, 0));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "dense_intermediate_size", &m.dense_intermediate_size, 0));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "vocab_size", &m.vocab_size, 0));
  HEXMOE_RETURN_IF_ERROR(f.optionalBool("tied_embeddings", &m.tied_embeddings));
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "n_group", &m.n_group, 1, kMaxExperts));
  m.topk_group = m.n_group;  // absent: tokens may be routed to any group
  HEXMOE_RETURN_IF_ERROR(optionalInt(f, "topk_group", &m.topk_group, 1, kMaxExperts));
  HEXMOE_RETURN_IF_ERROR(checkRouting(f, m, "top_k"));
  for (const char* key : {"weight_dtype", "activation_dtype"}) {
    std::string name;
    HEXMOE_RETURN_IF_ERROR(f.optionalString(key, &name));
    if (name.empty()) continue;
    std::optional<DType> dtype = parseDType(name);
    if (!dtype) return f.errorAt(key, "unknown dtype \"" + name + "\"");
    (std::strcmp(key, "weight_dtype") == 0 ? m.weight_dtype : m.activation_dtype) = *dtype;
  }
  using R = JsonFields::Range;
  HEXMOE_RETURN_IF_ERROR(f.optionalNumber("attention_params_per_layer", &m.attention_params_per_layer, R::kNonNegative));
  HEXMOE_RETURN_IF_ERROR(f.optionalNumber("kv_bytes_per_token_per_layer", &m.kv_bytes_per_token_per_layer, R::kNonNegative));
  HEXMOE_RETURN_IF_ERROR(f.optionalNumber("attention_flops_per_token_per_context", &m.attention_flops_per_token_per_context, R::kNonNegative));
  const Json* layers = nullptr;
  HEXMOE_RETURN_IF_ERROR(f.child("moe_layers", Json::value_t::array, &layers));
  for (size_t i = 0; i < layers->size(); ++i) {
    const Json& v = (*layers)[i];
    int64_t index = -1;
    bool ok = checkJsonInteger(f.source(), indexJsonPath("moe_layers", i), v, 0, m.num_layers - 1, &index).ok();
    if (!ok || (!m.moe_layers.empty() && index <= m.moe_layers.back())) {
      return f.error(indexJsonPath("moe_layers", i),
                     "expected increasing layer indices below num_layers (" + std::to_string(m.num_layers) +
                         "), got " + describeJsonValue(v));
    }
    m.moe_layers.push_back(static_cast<int>(index));
  }
  if (m.moe_layers.empty()) return f.errorAt("moe_layers", "expected at least one MoE layer");
  return m;
}

StatusOr<ModelShape> parseModelConfig(const std::string& text, const std::string& source) {
  Json root;
  HEXMOE_RETURN_IF_ERROR(parseJsonText(text, source, &root));
  HEXMOE_ASSIGN_OR_RETURN(JsonFields f, JsonFields::of(source, root, ""));
  std::string format;
  HEXMOE_RETURN_IF_ERROR(f.optionalString("format", &format));
  if (format == "hexmoe-model") return parseNormalised(f);
  if (!format.empty()) return f.errorAt("format", "expected \"hexmoe-model\" or a Hugging Face config");
  return parseHuggingFace(f);
}

static bool isDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

StatusOr<ModelShape> loadModel(const std::string& path) {
  std::string file = isDirectory(path) ? path + "/config.json" : path;
  // Artifacts carry the model too, but the scheduler does not read them yet.
  bool artifact = file.size() >= 4 && file.compare(file.size() - 4, 4, ".hxm") == 0;
  if (!artifact) {
    std::ifstream in(file, std::ios::binary);
    char magic[8] = {};
    in.read(magic, sizeof(magic));
    artifact = in.gcount() == 8 && std::memcmp(magic, "HEXMOE\0A", 8) == 0;
  }
  if (artifact) {
    return unimplemented(file + ": compiled artifacts are not read by the scheduler yet; pass the "
                                "Hugging Face model directory or its config.json");
  }
  StatusOr<std::string> text = readTextFile(file);
  if (!text.ok() && isDirectory(path)) {
    return notFound(path + ": a model directory needs a config.json");
  }
  if (!text.ok()) return text.status();
  return parseModelConfig(*text, file);
}

Json modelToJson(const ModelShape& m) {
  return Json{{"format", "hexmoe-model"},
              {"name", m.name},
              {"architecture", m.architecture},
              {"num_layers", m.num_layers},
              {"moe_layers", m.moe_layers},
              {"num_experts", m.num_experts},
              {"top_k", m.top_k},
              {"hidden_size", m.hidden_size},
              {"expert_intermediate_size", m.expert_intermediate_size},
              {"shared_intermediate_size", m.shared_intermediate_size},
              {"dense_intermediate_size", m.dense_intermediate_size},
              {"vocab_size", m.vocab_size},
              {"tied_embeddings", m.tied_embeddings},
              {"n_group", m.n_group},
              {"topk_group", m.topk_group},
              {"weight_dtype", dtypeName(m.weight_dtype)},
              {"activation_dtype", dtypeName(m.activation_dtype)},
              {"attention_params_per_layer", m.attention_params_per_layer},
              {"kv_bytes_per_token_per_layer", m.kv_bytes_per_token_per_layer},
              {"attention_flops_per_token_per_context", m.attention_flops_per_token_per_context}};
}

}  // namespace hexmoe::scheduler
