// config.json for each architecture: the hub's published configs read with
// the meanings transformers gives them, transformers 5's spellings read the
// same, and each unsupported or malformed field refused by name.
#include "models/config/model_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace hexmoe::models {
namespace {

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

std::string hubConfig(const std::string& name) {
  std::ifstream in(std::string(HEXMOE_MODEL_CONFIGS) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ModelConfig parsed(const std::string& text) {
  auto c = parseModelConfig(text, "config.json");
  EXPECT_TRUE(c.ok()) << c.status().toString();
  return c.ok() ? *c : ModelConfig{};
}

/// The error for `base` with `patch` merged in (null deletes a field).
std::string errorWith(const std::string& base, const nlohmann::json& patch) {
  nlohmann::json j = nlohmann::json::parse(base);
  j.merge_patch(patch);
  auto c = parseModelConfig(j.dump(), "config.json");
  EXPECT_FALSE(c.ok()) << patch.dump();
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_HAS(c.status().message(), "config.json: ");
  return c.status().message();
}

TEST(ModelConfig, ReadsDeepseekV3) {
  const ModelConfig c = parsed(hubConfig("deepseek-v3.json"));
  EXPECT_EQ(c.architecture, Architecture::kDeepseekV3);
  EXPECT_TRUE(c.isMla());
  EXPECT_EQ(c.qLoraRank, 1536);
  EXPECT_EQ(c.kvLoraRank, 512);
  EXPECT_EQ(c.qkHeadDim(), 192);
  EXPECT_EQ(c.valueHeadDim(), 128);
  EXPECT_EQ(c.numExperts, 256);
  EXPECT_EQ(c.topK, 8);
  EXPECT_EQ(c.scoring, "sigmoid");
  EXPECT_TRUE(c.correctionBias);
  EXPECT_EQ(c.nGroup, 8);
  EXPECT_EQ(c.topkGroup, 4);
  EXPECT_TRUE(c.normTopkProb);
  EXPECT_DOUBLE_EQ(c.routedScalingFactor, 2.5);
  EXPECT_EQ(c.sharedIntermediate, 2048);
  EXPECT_EQ(c.denseIntermediate, 18432);
  ASSERT_EQ(c.moeLayers.size(), 61u);
  EXPECT_FALSE(c.moeLayers[2]);  // first_k_dense_replace = 3
  EXPECT_TRUE(c.moeLayers[3]);
  EXPECT_TRUE(c.rope.interleaved);
  ASSERT_TRUE(c.fp8.has_value());
  EXPECT_EQ(c.fp8->blockRows, 128);
  EXPECT_EQ(c.numNextnPredictLayers, 1);
  EXPECT_EQ(c.dtype, "bfloat16");
}

TEST(ModelConfig, ReadsMixtralAndQwen3) {
  const ModelConfig m = parsed(hubConfig("mixtral-8x7b.json"));
  EXPECT_EQ(m.architecture, Architecture::kMixtral);
  EXPECT_EQ(m.headDim, 128);
  EXPECT_EQ(m.numKvHeads, 8);
  EXPECT_EQ(m.expertIntermediate, 14336);
  EXPECT_TRUE(m.normTopkProb);
  EXPECT_FALSE(m.slidingWindow.has_value());
  EXPECT_DOUBLE_EQ(m.rope.theta, 1e6);
  EXPECT_FALSE(m.rope.interleaved);
  const ModelConfig q = parsed(hubConfig("qwen3-30b-a3b.json"));
  EXPECT_EQ(q.architecture, Architecture::kQwen3Moe);
  EXPECT_EQ(q.headDim, 128);  // explicit, not 2048 / 32
  EXPECT_TRUE(q.qkNorm);
  EXPECT_FALSE(q.qkvBias);
  EXPECT_EQ(q.numExperts, 128);
  parsed(hubConfig("qwen3-235b-a22b.json"));
}

TEST(ModelConfig, ReadsQwen2MoeSharedExpertAndSparseSteps) {
  const ModelConfig c = parsed(R"({"model_type":"qwen2_moe","vocab_size":1000,"hidden_size":64,
      "intermediate_size":128,"moe_intermediate_size":32,"shared_expert_intermediate_size":96,
      "num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,"num_experts":8,
      "num_experts_per_tok":2,"decoder_sparse_step":2,"mlp_only_layers":[3],"use_sliding_window":false,
      "sliding_window":4096,"max_window_layers":28,"rope_theta":1000000.0})");
  EXPECT_EQ(c.sharedIntermediate, 96);
  EXPECT_TRUE(c.sharedExpertGate);
  EXPECT_TRUE(c.qkvBias);
  EXPECT_FALSE(c.outputBias);
  EXPECT_FALSE(c.normTopkProb);
  EXPECT_EQ(c.moeLayers, (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(c.headDim, 16);
}

TEST(ModelConfig, TransformersFiveSpellingsReadTheSame) {
  nlohmann::json hub = nlohmann::json::parse(hubConfig("qwen3-30b-a3b.json"));
  nlohmann::json v5 = hub;
  v5.erase("torch_dtype");
  v5.erase("rope_theta");
  v5.erase("num_experts");
  v5["dtype"] = "bfloat16";
  v5["num_local_experts"] = 128;
  v5["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 1000000.0}};
  v5["layer_types"] = std::vector<std::string>(48, "full_attention");
  const ModelConfig a = parsed(hub.dump()), b = parsed(v5.dump());
  EXPECT_EQ(a.numExperts, b.numExperts);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_DOUBLE_EQ(a.rope.theta, b.rope.theta);
  EXPECT_EQ(a.rope.type, b.rope.type);
}

TEST(ModelConfig, ReadsYarnInBothSpellings) {
  const std::string base = hubConfig("deepseek-v3.json");
  nlohmann::json hub = nlohmann::json::parse(base);
  hub["rope_scaling"] = {{"type", "yarn"}, {"factor", 40}, {"original_max_position_embeddings", 4096},
                         {"beta_fast", 32}, {"beta_slow", 1}, {"mscale", 1.0}, {"mscale_all_dim", 1.0}};
  nlohmann::json v5 = nlohmann::json::parse(base);
  v5.erase("rope_theta");
  v5["rope_parameters"] = hub["rope_scaling"];
  v5["rope_parameters"].erase("type");
  v5["rope_parameters"]["rope_type"] = "yarn";
  v5["rope_parameters"]["rope_theta"] = 10000;
  v5["rope_interleave"] = true;
  for (const nlohmann::json& j : {hub, v5}) {
    const ModelConfig c = parsed(j.dump());
    EXPECT_EQ(c.rope.type, "yarn");
    EXPECT_DOUBLE_EQ(c.rope.factor, 40);
    EXPECT_EQ(c.rope.originalMaxPositions, 4096);
    EXPECT_DOUBLE_EQ(c.rope.mscaleAllDim, 1.0);
    EXPECT_DOUBLE_EQ(c.rope.theta, 10000);
  }
}

// As transformers 5.23's save_pretrained writes a DeepSeek-V3 config.
TEST(ModelConfig, ReadsWhatTransformersFiveWritesForDeepseekV3) {
  const std::string v5 = R"({"architectures":["DeepseekV3ForCausalLM"],"attention_bias":false,
      "attention_dropout":0.0,"bos_token_id":0,"dtype":"float32","eos_token_id":1,"first_k_dense_replace":3,
      "head_dim":8,"hidden_act":"silu","hidden_size":48,"initializer_range":0.02,"intermediate_size":80,
      "kv_lora_rank":24,"max_position_embeddings":4096,"model_type":"deepseek_v3","moe_intermediate_size":24,
      "n_group":4,"n_routed_experts":16,"n_shared_experts":1,"norm_topk_prob":true,"num_attention_heads":4,
      "num_experts_per_tok":4,"num_hidden_layers":2,"num_key_value_heads":4,"num_nextn_predict_layers":1,
      "output_router_logits":false,"pad_token_id":null,"pretraining_tp":1,"q_lora_rank":32,"qk_head_dim":20,
      "qk_nope_head_dim":12,"qk_rope_head_dim":8,"rms_norm_eps":1e-06,"rope_interleave":true,
      "rope_parameters":{"rope_theta":10000.0,"rope_type":"default"},"routed_scaling_factor":2.5,
      "tie_word_embeddings":false,"topk_group":2,"transformers_version":"5.23.0","use_cache":true,
      "v_head_dim":16,"vocab_size":96})";
  const ModelConfig c = parsed(v5);
  EXPECT_EQ(c.qkHeadDim(), 20);
  EXPECT_TRUE(c.rope.interleaved);
  EXPECT_HAS(errorWith(v5, {{"qk_head_dim", 21}}), "qk_head_dim: 21 is not qk_nope_head_dim + qk_rope_head_dim (20)");
}

TEST(ModelConfig, ReadsDeepseekV2LiteWithoutQLora) {
  nlohmann::json j = nlohmann::json::parse(hubConfig("deepseek-v3.json"));
  j["model_type"] = "deepseek_v2";
  j["q_lora_rank"] = nullptr;
  j["topk_method"] = "greedy";
  j["scoring_func"] = "softmax";
  j.erase("quantization_config");
  const ModelConfig c = parsed(j.dump());
  EXPECT_EQ(c.qLoraRank, 0);
  EXPECT_EQ(c.nGroup, 1);  // greedy ignores groups
  EXPECT_FALSE(c.correctionBias);
}

TEST(ModelConfig, RefusesUnknownModelTypes) {
  EXPECT_HAS(errorWith(hubConfig("olmoe-1b-7b.json"), nlohmann::json::object()), "model_type: unsupported model type \"olmoe\"");
  EXPECT_HAS(errorWith(hubConfig("mixtral-8x7b.json"), {{"model_type", nullptr}}), "model_type: missing");
}

TEST(ModelConfig, RefusesUnknownFields) {
  EXPECT_HAS(errorWith(hubConfig("mixtral-8x7b.json"), {{"num_local_expertz", 8}}),
             "num_local_expertz: unsupported field for model_type \"mixtral\"");
  EXPECT_HAS(errorWith(hubConfig("deepseek-v3.json"), {{"rope_scaling", {{"type", "linear"}, {"factr", 4}}}}),
             "rope_scaling.factr: unknown field");
}

TEST(ModelConfig, RefusesValuesItCannotRun) {
  const std::string ds = hubConfig("deepseek-v3.json"), qw = hubConfig("qwen3-30b-a3b.json");
  EXPECT_HAS(errorWith(ds, {{"hidden_act", "gelu"}}), "hidden_act: unsupported activation \"gelu\"");
  EXPECT_HAS(errorWith(ds, {{"topk_method", "group_limited_greedy"}}), "topk_method: unsupported");
  EXPECT_HAS(errorWith(ds, {{"scoring_func", "relu"}}), "scoring_func: unsupported \"relu\"");
  EXPECT_HAS(errorWith(ds, {{"quantization_config", {{"quant_method", "gptq"}}}}),
             "quantization_config.quant_method: unsupported quantisation \"gptq\"");
  EXPECT_HAS(errorWith(ds, {{"quantization_config", {{"weight_block_size", nullptr}}}}),
             "weight_block_size: missing");
  EXPECT_HAS(errorWith(qw, {{"rope_scaling", {{"rope_type", "longrope"}}}}), "unsupported rope type \"longrope\"");
  EXPECT_HAS(errorWith(qw, {{"use_sliding_window", true}}), "use_sliding_window: unsupported true");
  EXPECT_HAS(errorWith(qw, {{"torch_dtype", "int8"}}), "torch_dtype: unsupported dtype \"int8\"");
  EXPECT_HAS(errorWith(qw, {{"dtype", "float32"}}), "dtype: \"float32\" disagrees with torch_dtype \"bfloat16\"");
  EXPECT_HAS(errorWith(qw, {{"layer_types", {"full_attention"}}}), "layer_types: has 1 entries for 48 layers");
}

TEST(ModelConfig, RefusesInconsistentRouting) {
  const std::string ds = hubConfig("deepseek-v3.json"), mx = hubConfig("mixtral-8x7b.json");
  EXPECT_HAS(errorWith(mx, {{"num_experts_per_tok", 9}}), "num_experts_per_tok: 9 is more than the 8 experts");
  EXPECT_HAS(errorWith(ds, {{"n_group", 7}}), "n_group: 7 does not divide the 256 experts");
  EXPECT_HAS(errorWith(ds, {{"topk_group", 9}}), "topk_group: 9 is more than n_group (8)");
  EXPECT_HAS(errorWith(ds, {{"topk_group", 1}, {"num_experts_per_tok", 40}}),
             "topk_group: 1 groups of 32 experts cannot supply top-40");
  EXPECT_HAS(errorWith(mx, {{"num_experts", 4}}), "num_experts: 4 disagrees with num_local_experts = 8");
}

TEST(ModelConfig, RefusesBadShapes) {
  const std::string mx = hubConfig("mixtral-8x7b.json");
  EXPECT_HAS(errorWith(mx, {{"num_key_value_heads", 5}}), "num_key_value_heads: 5 does not divide");
  EXPECT_HAS(errorWith(mx, {{"hidden_size", -4}}), "hidden_size: expected an integer from 1");
  EXPECT_HAS(errorWith(mx, {{"vocab_size", 1e30}}), "vocab_size: expected an integer");
  EXPECT_HAS(errorWith(mx, {{"num_attention_heads", 3}, {"num_key_value_heads", 1}}), "3 does not divide hidden_size (4096)");
  EXPECT_HAS(errorWith(hubConfig("deepseek-v3.json"), {{"qk_rope_head_dim", 63}}), "qk_rope_head_dim: must be even");
  EXPECT_HAS(errorWith(hubConfig("qwen3-30b-a3b.json"), {{"mlp_only_layers", {48}}}),
             "mlp_only_layers[0]: expected an integer from 0 to 47");
}

TEST(ModelConfig, RefusesNonJson) {
  auto c = parseModelConfig("{\"model_type\": ", "config.json");
  ASSERT_FALSE(c.ok());
  EXPECT_HAS(c.status().message(), "config.json:1:");
  auto missing = readModelConfig("/nonexistent-dir");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hexmoe::models
