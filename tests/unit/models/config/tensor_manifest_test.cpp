// Tensor manifests against published parameter counts, and the checkpoint
// check on tiny checkpoints in both expert layouts, with each mismatch
// refused by name.
#include "models/config/tensor_manifest.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "tests/unit/models/weights/test_files.h"

namespace hexmoe::models {
namespace {

using namespace hexmoe::weights::testing;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

ModelConfig hub(const std::string& name) {
  std::ifstream in(std::string(HEXMOE_MODEL_CONFIGS) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  auto c = parseModelConfig(s.str(), name);
  EXPECT_TRUE(c.ok()) << c.status().toString();
  return *c;
}

double parameters(const ModelConfig& c) {
  double n = 0;
  for (const ExpectedTensor& t : expectedTensors(c, {})) {
    double e = 1;
    for (int64_t d : t.shape) e *= static_cast<double>(d);
    n += e;
  }
  return n;
}

const ExpectedTensor* findExpected(const std::vector<ExpectedTensor>& all, const std::string& name) {
  for (const ExpectedTensor& t : all)
    if (t.name == name) return &t;
  return nullptr;
}

// The model cards' totals: DeepSeek-V3 671B (without its 14B MTP module),
// Mixtral-8x7B 46.7B, Qwen3-30B-A3B 30.5B, Qwen3-235B-A22B 235B.
TEST(TensorManifest, MatchesPublishedParameterCounts) {
  EXPECT_NEAR(parameters(hub("deepseek-v3.json")) / 1e9, 671, 671 * 0.005);
  EXPECT_NEAR(parameters(hub("mixtral-8x7b.json")) / 1e9, 46.7, 46.7 * 0.005);
  EXPECT_NEAR(parameters(hub("qwen3-30b-a3b.json")) / 1e9, 30.5, 30.5 * 0.005);
  EXPECT_NEAR(parameters(hub("qwen3-235b-a22b.json")) / 1e9, 235, 235 * 0.005);
}

TEST(TensorManifest, NamesAndShapesOfDeepseekV3) {
  const auto all = expectedTensors(hub("deepseek-v3.json"), {});
  const std::pair<const char*, std::vector<int64_t>> known[] = {
      {"model.layers.0.self_attn.kv_a_proj_with_mqa.weight", {576, 7168}},
      {"model.layers.0.self_attn.q_b_proj.weight", {24576, 1536}},
      {"model.layers.0.self_attn.kv_b_proj.weight", {32768, 512}},
      {"model.layers.0.mlp.gate_proj.weight", {18432, 7168}},
      {"model.layers.3.mlp.gate.e_score_correction_bias", {256}},
      {"model.layers.3.mlp.experts.255.down_proj.weight", {7168, 2048}},
      {"model.layers.60.mlp.shared_experts.up_proj.weight", {2048, 7168}},
      {"lm_head.weight", {129280, 7168}}};
  for (const auto& [name, shape] : known) {
    const ExpectedTensor* t = findExpected(all, name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->shape, shape) << name;
  }
  EXPECT_EQ(findExpected(all, "model.layers.2.mlp.gate.weight"), nullptr);  // a dense layer
}

/// A tiny config of `type`, 3 layers, 4 experts.
ModelConfig tiny(const std::string& type, const std::string& extra = "") {
  std::string text = R"({"model_type":")" + type + R"(","vocab_size":32,"hidden_size":16,"num_hidden_layers":3,)"
                     R"("num_attention_heads":4,"num_key_value_heads":2,"num_experts_per_tok":2)";
  if (type == "mixtral") text += R"(,"intermediate_size":8,"num_local_experts":4)";
  if (type == "qwen2_moe")
    text += R"(,"intermediate_size":24,"moe_intermediate_size":8,"num_experts":4,"shared_expert_intermediate_size":12,"mlp_only_layers":[0])";
  if (type == "qwen3_moe") text += R"(,"intermediate_size":24,"moe_intermediate_size":8,"num_experts":4,"head_dim":8)";
  if (type == "deepseek_v3")
    text += R"(,"intermediate_size":24,"moe_intermediate_size":8,"n_routed_experts":4,"n_shared_experts":1,)"
            R"("first_k_dense_replace":1,"n_group":2,"topk_group":1,"kv_lora_rank":8,"q_lora_rank":12,)"
            R"("qk_rope_head_dim":4,"qk_nope_head_dim":4,"v_head_dim":6)";
  text += extra + "}";
  auto c = parseModelConfig(text, "config.json");
  EXPECT_TRUE(c.ok()) << c.status().toString();
  return *c;
}

/// Writes `tensors` as one BF16 model.safetensors (zeros), after `edit`.
void writeCheckpoint(const std::string& dir, std::vector<ExpectedTensor> tensors,
                     const std::map<std::string, std::string>& dtypes = {}) {
  std::string header = "{";
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ExpectedTensor& t = tensors[i];
    auto d = dtypes.find(t.name);
    const std::string dtype = d == dtypes.end() ? "BF16" : d->second;
    const uint64_t width = dtype == "F8_E4M3" ? 1 : dtype == "F32" ? 4 : 2;
    uint64_t n = width;
    std::string shape;
    for (int64_t s : t.shape) {
      n *= static_cast<uint64_t>(s);
      shape += (shape.empty() ? "" : ",") + std::to_string(s);
    }
    header += (i ? "," : "") + std::string("\"") + t.name + R"(":{"dtype":")" + dtype + R"(","shape":[)" + shape +
              R"(],"data_offsets":[)" + std::to_string(offset) + "," + std::to_string(offset + n) + "]}";
    offset += n;
  }
  writeFile(dir + "/model.safetensors", safetensorsBytes(header + "}", std::vector<uint8_t>(offset, 0)));
}

std::string checkError(const ModelConfig& c, const std::string& dir) {
  auto ckpt = weights::Checkpoint::open(dir);
  EXPECT_TRUE(ckpt.ok()) << ckpt.status().toString();
  if (!ckpt.ok()) return "";
  auto r = checkCheckpoint(c, **ckpt);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

StatusOr<CheckpointLayout> check(const ModelConfig& c, const std::string& dir) {
  auto ckpt = weights::Checkpoint::open(dir);
  if (!ckpt.ok()) return std::move(ckpt).status();
  return checkCheckpoint(c, **ckpt);
}

TEST(CheckCheckpoint, AcceptsEachArchitectureInEachLayout) {
  for (const char* type : {"mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v3"}) {
    const ModelConfig c = tiny(type);
    for (ExpertLayout layout : {ExpertLayout::kPerExpert, ExpertLayout::kPacked}) {
      TempDir dir;
      CheckpointLayout want{layout, "mlp"};
      writeCheckpoint(dir.path(), expectedTensors(c, want));
      auto got = check(c, dir.path());
      ASSERT_TRUE(got.ok()) << type << ": " << got.status().toString();
      EXPECT_EQ(got->experts, layout) << type;
      EXPECT_EQ(got->moePrefix, "mlp");
    }
  }
}

TEST(CheckCheckpoint, ReadsMixtralsLegacyNames) {
  const ModelConfig c = tiny("mixtral");
  TempDir dir;
  CheckpointLayout legacy{ExpertLayout::kPerExpert, "block_sparse_moe"};
  auto tensors = expectedTensors(c, legacy);
  EXPECT_NE(findExpected(tensors, "model.layers.1.block_sparse_moe.experts.3.w3.weight"), nullptr);
  writeCheckpoint(dir.path(), tensors);
  auto got = check(c, dir.path());
  ASSERT_TRUE(got.ok()) << got.status().toString();
  EXPECT_EQ(got->moePrefix, "block_sparse_moe");
}

TEST(CheckCheckpoint, RefusesMissingAndExtraExperts) {
  const ModelConfig c = tiny("qwen3_moe");
  auto tensors = expectedTensors(c, {});
  {
    TempDir dir;
    auto fewer = tensors;
    fewer.erase(std::remove_if(fewer.begin(), fewer.end(),
                               [](const ExpectedTensor& t) { return t.name.find(".experts.3.") != std::string::npos; }),
                fewer.end());
    writeCheckpoint(dir.path(), fewer);
    EXPECT_HAS(checkError(c, dir.path()), "lacks tensor 'model.layers.0.mlp.experts.3.gate_proj.weight': config.json "
                                          "gives layer 0 4 experts, and expert 3 is missing");
  }
  {
    TempDir dir;
    auto more = tensors;
    more.push_back({"model.layers.2.mlp.experts.4.up_proj.weight", {8, 16}});
    writeCheckpoint(dir.path(), more);
    EXPECT_HAS(checkError(c, dir.path()), "tensor 'model.layers.2.mlp.experts.4.up_proj.weight' is expert 4 of layer 2, "
                                          "but config.json gives 4 experts");
  }
}

TEST(CheckCheckpoint, RefusesWrongShapesExtraLayersAndStrangers) {
  const ModelConfig c = tiny("mixtral");
  auto tensors = expectedTensors(c, {});
  {
    TempDir dir;
    auto wrong = tensors;
    findExpected(wrong, "model.layers.1.self_attn.k_proj.weight");
    for (auto& t : wrong)
      if (t.name == "model.layers.1.self_attn.k_proj.weight") t.shape = {16, 16};
    writeCheckpoint(dir.path(), wrong);
    EXPECT_HAS(checkError(c, dir.path()), "tensor 'model.layers.1.self_attn.k_proj.weight' is [16, 16] BF16, but "
                                          "config.json implies [8, 16]");
  }
  {
    TempDir dir;
    auto more = tensors;
    more.push_back({"model.layers.3.input_layernorm.weight", {16}});
    writeCheckpoint(dir.path(), more);
    EXPECT_HAS(checkError(c, dir.path()), "belongs to layer 3, but config.json has num_hidden_layers = 3");
  }
  {
    TempDir dir;
    auto more = tensors;
    more.push_back({"model.vision_tower.weight", {4}});
    writeCheckpoint(dir.path(), more);
    EXPECT_HAS(checkError(c, dir.path()), "tensor 'model.vision_tower.weight' is not part of a mixtral model");
  }
  {
    TempDir dir;
    writeCheckpoint(dir.path(), tensors, {{"model.norm.weight", "F8_E4M3"}});
    EXPECT_HAS(checkError(c, dir.path()), "tensor 'model.norm.weight' is F8_E4M3, but config.json has no "
                                          "quantization_config");
  }
}

TEST(CheckCheckpoint, TiedEmbeddingsHaveNoLmHead) {
  const ModelConfig c = tiny("qwen3_moe", R"(,"tie_word_embeddings":true)");
  auto tensors = expectedTensors(c, {});
  EXPECT_EQ(findExpected(tensors, "lm_head.weight"), nullptr);
  TempDir dir;
  tensors.push_back({"lm_head.weight", {32, 16}});
  writeCheckpoint(dir.path(), tensors);
  EXPECT_HAS(checkError(c, dir.path()), "tensor 'lm_head.weight' is not part of a qwen3_moe model");
}

TEST(CheckCheckpoint, Fp8WeightsNeedTheirBlockScales) {
  const ModelConfig c = tiny("deepseek_v3", R"(,"quantization_config":{"quant_method":"fp8","fmt":"e4m3",)"
                                            R"("activation_scheme":"dynamic","weight_block_size":[8,8]})");
  auto tensors = expectedTensors(c, {});
  const std::string w = "model.layers.1.mlp.experts.2.down_proj.weight";  // [16, 8]
  std::map<std::string, std::string> dtypes = {{w, "F8_E4M3"}, {w + "_scale_inv", "F32"}};
  {
    TempDir dir;
    auto with = tensors;
    with.push_back({w + "_scale_inv", {2, 1}});
    with.push_back({"model.layers.3.eh_proj.weight", {16, 32}});  // the MTP layer
    writeCheckpoint(dir.path(), with, dtypes);
    auto got = check(c, dir.path());
    EXPECT_FALSE(got.ok());  // no num_nextn_predict_layers: layer 3 is one too many
    EXPECT_HAS(got.status().message(), "belongs to layer 3");
  }
  const ModelConfig mtp = tiny("deepseek_v3", R"(,"num_nextn_predict_layers":1,"quantization_config":)"
                                              R"({"quant_method":"fp8","weight_block_size":[8,8]})");
  {
    TempDir dir;
    auto with = tensors;
    with.push_back({w + "_scale_inv", {2, 1}});
    with.push_back({"model.layers.3.eh_proj.weight", {16, 32}});
    writeCheckpoint(dir.path(), with, dtypes);
    auto got = check(mtp, dir.path());
    EXPECT_TRUE(got.ok()) << got.status().toString();
  }
  {
    TempDir dir;
    writeCheckpoint(dir.path(), tensors, dtypes);
    EXPECT_HAS(checkError(mtp, dir.path()), "is F8_E4M3 without its scales '" + w + "_scale_inv'");
  }
  {
    TempDir dir;
    auto with = tensors;
    with.push_back({w + "_scale_inv", {1, 1}});
    writeCheckpoint(dir.path(), with, dtypes);
    EXPECT_HAS(checkError(mtp, dir.path()), "the scales are [1, 1] F32, but a [16, 8] F8_E4M3 weight in 8x8 blocks "
                                            "needs [2, 1]");
  }
}

}  // namespace
}  // namespace hexmoe::models
