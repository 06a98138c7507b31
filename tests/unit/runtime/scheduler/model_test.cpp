#include "runtime/scheduler/model.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

ModelShape load(const std::string& name) {
  StatusOr<ModelShape> model = loadModel(testing::sourceDir() + "/models/configs/" + name);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return model.ok() ? *model : ModelShape{};
}

TEST(ModelTest, DeepSeekV3) {
  ModelShape m = load("deepseek-v3.json");
  EXPECT_EQ(m.num_layers, 61);
  ASSERT_EQ(m.numMoeLayers(), 58);  // first_k_dense_replace = 3
  EXPECT_EQ(m.moe_layers.front(), 3);
  EXPECT_EQ(m.moe_layers.back(), 60);
  EXPECT_EQ(m.num_experts, 256);
  EXPECT_EQ(m.top_k, 8);
  EXPECT_EQ(m.n_group, 8);
  EXPECT_EQ(m.weight_dtype, DType::kFp8);  // from quantization_config, not torch_dtype
  EXPECT_EQ(m.shared_intermediate_size, 2048);
  EXPECT_EQ(m.dense_intermediate_size, 18432);
  EXPECT_NEAR(m.expertBytes() / 1e6, 44.05, 0.02);  // 3 x 7168 x 2048 fp8 + block scales
  // All of DeepSeek-V3 is ~671B parameters; routed experts are ~654B of them.
  double experts = m.expertParams() * m.num_experts * m.numMoeLayers();
  EXPECT_NEAR(experts / 1e9, 654, 2);
  EXPECT_NEAR((experts + m.nonExpertBytes()) / 1e9, 671, 6);
  // MLA: the cache holds the latent and the rope key, 576 values per token and layer.
  EXPECT_DOUBLE_EQ(m.kv_bytes_per_token_per_layer, 576 * 2);
}

TEST(ModelTest, MixtralQwenOlmoe) {
  ModelShape mixtral = load("mixtral-8x7b.json");
  EXPECT_EQ(mixtral.numMoeLayers(), 32);
  EXPECT_EQ(mixtral.num_experts, 8);
  EXPECT_EQ(mixtral.top_k, 2);
  EXPECT_EQ(mixtral.expert_intermediate_size, 14336);
  EXPECT_EQ(mixtral.weight_dtype, DType::kBf16);
  EXPECT_NEAR(mixtral.expertBytes() / 1e6, 352.3, 0.1);

  ModelShape qwen = load("qwen3-235b-a22b.json");
  EXPECT_EQ(qwen.numMoeLayers(), 94);
  EXPECT_EQ(qwen.num_experts, 128);
  EXPECT_EQ(qwen.expert_intermediate_size, 1536);
  EXPECT_EQ(qwen.shared_intermediate_size, 0);
  EXPECT_NEAR(qwen.expertParams() * qwen.num_experts * qwen.numMoeLayers() / 1e9, 227, 1);

  ModelShape small = load("qwen3-30b-a3b.json");
  EXPECT_EQ(small.numMoeLayers(), 48);

  ModelShape olmoe = load("olmoe-1b-7b.json");
  EXPECT_EQ(olmoe.numMoeLayers(), 16);
  EXPECT_EQ(olmoe.num_experts, 64);
  EXPECT_EQ(olmoe.expert_intermediate_size, 1024);  // intermediate_size is the expert width
}

TEST(ModelTest, ModelDirectoryReadsConfigJson) {
  std::string dir = ::testing::TempDir() + "/hexmoe-model-dir";
  std::string mkdir = "mkdir -p " + dir;
  ASSERT_EQ(std::system(mkdir.c_str()), 0);
  std::ifstream in(testing::sourceDir() + "/models/configs/olmoe-1b-7b.json");
  std::ofstream(dir + "/config.json") << in.rdbuf();
  StatusOr<ModelShape> model = loadModel(dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->num_experts, 64);
  // models/configs/ itself has no config.json.
  StatusOr<ModelShape> missing = loadModel(testing::sourceDir() + "/models/configs");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("needs a config.json"), std::string::npos);
}

TEST(ModelTest, ArtifactsAreRecognisedAndRefused) {
  std::string path = ::testing::TempDir() + "/model.hxm";
  std::ofstream(path) << "HEXMOE";
  StatusOr<ModelShape> model = loadModel(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(model.status().message().find("artifacts are not read by the scheduler yet"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ModelTest, LayerSelectionRules) {
  StatusOr<ModelShape> qwen2 = parseModelConfig(R"({"num_hidden_layers": 8, "hidden_size": 64,
    "num_attention_heads": 4, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
    "shared_expert_intermediate_size": 96, "decoder_sparse_step": 2, "mlp_only_layers": [3]})", "c.json");
  ASSERT_TRUE(qwen2.ok()) << qwen2.status().message();
  EXPECT_EQ(qwen2->moe_layers, (std::vector<int>{1, 5, 7}));
  EXPECT_EQ(qwen2->shared_intermediate_size, 96);
  StatusOr<ModelShape> int4 = parseModelConfig(R"({"num_hidden_layers": 2, "hidden_size": 64,
    "num_attention_heads": 4, "num_local_experts": 4, "num_experts_per_tok": 1, "intermediate_size": 32,
    "quantization_config": {"quant_method": "awq", "bits": 4}})", "c.json");
  ASSERT_TRUE(int4.ok()) << int4.status().message();
  EXPECT_EQ(int4->weight_dtype, DType::kInt4);
}

TEST(ModelTest, ErrorsNameTheField) {
  auto error = [](const std::string& text) {
    StatusOr<ModelShape> m = parseModelConfig(text, "config.json");
    EXPECT_FALSE(m.ok());
    return m.ok() ? "" : m.status().message();
  };
  EXPECT_EQ(error(R"({"num_hidden_layers": 4, "hidden_size": 64, "num_attention_heads": 4,
                      "num_experts_per_tok": 2, "intermediate_size": 32})"),
            "config.json: n_routed_experts: missing: expected one of n_routed_experts, num_local_experts, "
            "num_experts (is this a mixture-of-experts model?)");
  EXPECT_EQ(error(R"({"num_hidden_layers": 4, "hidden_size": 64, "num_attention_heads": 4, "num_experts": 4,
                      "num_experts_per_tok": 8, "intermediate_size": 32})"),
            "config.json: num_experts_per_tok: larger than the number of experts (4)");
  EXPECT_EQ(error(R"({"num_hidden_layers": "four"})"),
            "config.json: num_hidden_layers: expected an integer from 1 to 4096, got \"four\"");
  EXPECT_EQ(error(R"({"format": "hexmoe-model", "num_layers": 2, "num_experts": 4, "top_k": 1,
                      "hidden_size": 8, "expert_intermediate_size": 8, "moe_layers": [1, 1]})"),
            "config.json: moe_layers[1]: expected increasing layer indices below num_layers (2), got 1");
}

TEST(ModelTest, ExpertGroupsMustSplitTheExperts) {
  auto error = [](const std::string& fields) {
    std::string text = R"({"format": "hexmoe-model", "num_layers": 4, "moe_layers": [0, 1, 2, 3],
      "num_experts": 8, "top_k": 2, "hidden_size": 1024, "expert_intermediate_size": 2048, )" + fields + "}";
    StatusOr<ModelShape> m = parseModelConfig(text, "model.json");
    EXPECT_FALSE(m.ok()) << fields;
    return m.ok() ? "" : m.status().message();
  };
  // n_group 3 once overran EPLB's group table (heap-buffer-overflow).
  EXPECT_EQ(error(R"("n_group": 3)"), "model.json: n_group: 3 does not divide the number of experts (8) into equal groups");
  EXPECT_EQ(error(R"("n_group": 16)"),
            "model.json: n_group: 16 does not divide the number of experts (8) into equal groups");
  EXPECT_EQ(error(R"("n_group": 0)"), "model.json: n_group: expected an integer from 1 to 4096, got 0");
  EXPECT_EQ(error(R"("n_group": 4, "topk_group": 5)"), "model.json: topk_group: 5 is larger than n_group (4)");
  EXPECT_EQ(error(R"("n_group": 8, "topk_group": 1)"),
            "model.json: topk_group: 1 groups of 1 experts cannot supply the 2 experts each token is routed to");
  // The Hugging Face reader applies the same rules.
  StatusOr<ModelShape> hf = parseModelConfig(R"({"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4,
    "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32, "n_group": 3, "topk_group": 1})",
                                             "config.json");
  ASSERT_FALSE(hf.ok());
  EXPECT_EQ(hf.status().message(), "config.json: n_group: 3 does not divide the number of experts (8) into equal groups");
  // Absent, topk_group allows every group.
  StatusOr<ModelShape> grouped = parseModelConfig(R"({"format": "hexmoe-model", "num_layers": 1, "moe_layers": [0],
    "num_experts": 8, "top_k": 4, "hidden_size": 8, "expert_intermediate_size": 8, "n_group": 8})", "m");
  ASSERT_TRUE(grouped.ok()) << grouped.status().message();
  EXPECT_EQ(grouped->topk_group, 8);
}

TEST(ModelTest, IntegersAreNotCutTo32Bits) {
  auto error = [](const std::string& text) {
    StatusOr<ModelShape> m = parseModelConfig(text, "model.json");
    EXPECT_FALSE(m.ok());
    return m.ok() ? "" : m.status().message();
  };
  // 4294967297 once read as layer 1.
  EXPECT_EQ(error(R"({"format": "hexmoe-model", "num_layers": 4, "moe_layers": [0, 4294967297], "num_experts": 8,
                      "top_k": 2, "hidden_size": 8, "expert_intermediate_size": 8})"),
            "model.json: moe_layers[1]: expected increasing layer indices below num_layers (4), got 4294967297");
  EXPECT_EQ(error(R"({"format": "hexmoe-model", "num_layers": 4294967297, "moe_layers": [0], "num_experts": 8,
                      "top_k": 2, "hidden_size": 8, "expert_intermediate_size": 8})"),
            "model.json: num_layers: expected an integer from 1 to 4096, got 4294967297");
  EXPECT_EQ(error(R"({"num_hidden_layers": 4, "hidden_size": 64, "num_attention_heads": 4, "num_experts": 4,
                      "num_experts_per_tok": 2, "intermediate_size": 32, "mlp_only_layers": [18446744073709551615]})"),
            "model.json: mlp_only_layers[0]: expected an integer from 0 to 4096, got 18446744073709551615");
}

TEST(ModelTest, NormalisedFormRoundTrips) {
  ModelShape m = load("deepseek-v3.json");
  StatusOr<ModelShape> again = parseModelConfig(modelToJson(m).dump(), "again");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->moe_layers, m.moe_layers);
  EXPECT_DOUBLE_EQ(again->expertBytes(), m.expertBytes());
  EXPECT_DOUBLE_EQ(again->nonExpertBytes(), m.nonExpertBytes());
  EXPECT_EQ(again->n_group, m.n_group);
}

}  // namespace
}  // namespace hexmoe::scheduler
