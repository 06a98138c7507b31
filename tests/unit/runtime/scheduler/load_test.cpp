#include "runtime/scheduler/load.h"

#include <gtest/gtest.h>

#include <numeric>

#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

TEST(LoadTest, ExpectedLoadsSumToCopiesAndRespectTheCap) {
  ModelShape model = testing::tinyModel();
  for (const char* spec : {"uniform", "lognormal:1", "lognormal:2.5", "zipf:1", "zipf:2", "drifting:1"}) {
    LoadProfile p = expectedLoad(*parseLoadSpec(spec, 42), model, 8);
    ASSERT_EQ(p.numLayers(), model.numMoeLayers());
    for (const auto& layer : p.expert_tokens) {
      EXPECT_NEAR(std::accumulate(layer.begin(), layer.end(), 0.0), 8.0 * model.top_k, 1e-9) << spec;
      // A token chooses an expert at most once.
      for (double v : layer) EXPECT_LE(v, 8.0 + 1e-9) << spec;
    }
    EXPECT_TRUE(checkProfile(p, model).ok());
  }
  LoadProfile uniform = expectedLoad(*parseLoadSpec("uniform", 1), model, 64);
  EXPECT_DOUBLE_EQ(uniform.expert_tokens[0][0], uniform.expert_tokens[0][15]);
}

TEST(LoadTest, SeedsAreFixedAndLayersDiffer) {
  ModelShape model = testing::tinyModel();
  LoadProfile a = expectedLoad(*parseLoadSpec("lognormal:1", 42), model, 64);
  LoadProfile b = expectedLoad(*parseLoadSpec("lognormal:1", 42), model, 64);
  LoadProfile c = expectedLoad(*parseLoadSpec("lognormal:1", 43), model, 64);
  EXPECT_EQ(a.expert_tokens, b.expert_tokens);
  EXPECT_NE(a.expert_tokens, c.expert_tokens);
  EXPECT_NE(a.expert_tokens[0], a.expert_tokens[1]);
}

TEST(LoadTest, SampledTracesHaveEveryCopy) {
  ModelShape model = testing::tinyModel();
  LoadTrace t = sampleTrace(*parseLoadSpec("zipf:1.2", 7), model, 32, 20);
  ASSERT_EQ(t.num_steps, 20);
  for (int s = 0; s < t.num_steps; ++s) {
    for (int l = 0; l < t.num_layers; ++l) {
      const uint32_t* row = t.at(s, l);
      EXPECT_EQ(std::accumulate(row, row + t.num_experts, 0u), 64u);
    }
  }
  LoadTrace again = sampleTrace(*parseLoadSpec("zipf:1.2", 7), model, 32, 20);
  EXPECT_EQ(t.counts, again.counts);
  // The trace's mean approaches the expected load.
  LoadTrace many = sampleTrace(*parseLoadSpec("lognormal:1", 7), model, 64, 400);
  LoadProfile expected = expectedLoad(*parseLoadSpec("lognormal:1", 7), model, 64);
  LoadProfile mean = many.mean();
  for (int e = 0; e < model.num_experts; ++e) {
    EXPECT_NEAR(mean.expert_tokens[0][e], expected.expert_tokens[0][e], 0.1 * expected.expert_tokens[0][e] + 0.5);
  }
}

TEST(LoadTest, DriftingLoadsMove) {
  ModelShape model = testing::tinyModel();
  LoadTrace t = sampleTrace(*parseLoadSpec("drifting:1:0.2", 3), model, 256, 200);
  LoadProfile early = t.mean(0, 20), late = t.mean(180, 20);
  double moved = 0;
  for (int e = 0; e < model.num_experts; ++e) moved += std::abs(early.expert_tokens[0][e] - late.expert_tokens[0][e]);
  EXPECT_GT(moved, 0.2 * 256 * model.top_k);
}

TEST(LoadTest, SpecErrors) {
  EXPECT_FALSE(parseLoadSpec("gaussian", 1).ok());
  EXPECT_FALSE(parseLoadSpec("lognormal:x", 1).ok());
  EXPECT_FALSE(parseLoadSpec("zipf:1:2", 1).ok());
  EXPECT_FALSE(parseLoadSpec("drifting:1:0", 1).ok());
  EXPECT_NEAR(parseLoadSpec("zipf:1.5", 1)->shape, 1.5, 1e-12);
}

TEST(LoadTest, TracesRoundTripAndBadOnesNameTheField) {
  ModelShape model = testing::tinyModel(4, 2);
  LoadTrace t = sampleTrace(*parseLoadSpec("lognormal:1", 1), model, 8, 3);
  StatusOr<LoadTrace> again = parseTrace(traceToJson(t).dump(), "t.json", model);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->counts, t.counts);
  auto error = [&](const std::string& text) {
    StatusOr<LoadTrace> r = parseTrace(text, "trace.json", model);
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.status().message();
  };
  std::string head = R"({"format": "hexmoe-trace", "tokens_per_step": 8, "num_experts": 4, "steps": )";
  EXPECT_EQ(error(head + R"([[[1,2,3,4],[1,2,3,4]], [[1,2,3,4],[1,2,-3,4]]]})"),
            "trace.json: steps[1][1][2]: expected a non-negative integer count, got -3");
  EXPECT_EQ(error(head + R"([[[1,2,3]]]})"), "trace.json: steps[0][0]: expected an array of 4 counts");
  EXPECT_EQ(error(head + R"([[[1,2,3,4],[1,2,3,4],[1,2,3,4]]]})"),
            "trace.json: steps[0]: expected an array of 2 per-layer count arrays (or one, used for every layer)");
  EXPECT_EQ(error(R"({"format": "hexmoe-trace", "tokens_per_step": 8, "num_experts": 5, "steps": []})"),
            "trace.json: num_experts: the trace has 5 experts per layer but the model has 4");
  EXPECT_EQ(error(R"({"format": "hexmoe-trace", "tokens_per_step": 0, "num_experts": 4, "steps": []})"),
            "trace.json: tokens_per_step: expected a positive number, got 0");
  EXPECT_EQ(error(head + R"([[[1,2,3,4294967296]]]})"),
            "trace.json: steps[0][0][3]: expected a count below 2^32, got 4294967296");
  EXPECT_EQ(error(R"({"format": "hexmoe-trace", "tokens_per_step": 1e400, "num_experts": 4, "steps": []})"),
            "trace.json:1:47: invalid JSON: the number 1e400 is beyond the range of a double");
  // One row stands for every layer.
  StatusOr<LoadTrace> broadcast = parseTrace(head + R"([[[4,4,4,4]]]})", "t.json", model);
  ASSERT_TRUE(broadcast.ok());
  EXPECT_EQ(broadcast->at(0, 1)[3], 4u);
}

TEST(LoadTest, TracesHaveALimit) {
  // One row per step stands for every layer, so a short text can ask for a
  // trace far larger than itself.
  ModelShape model = testing::tinyModel(4096, 64);
  std::string row = "[[" + std::string(4095 * 2, ' ') + "]]";
  for (size_t i = 0; i < 4095; ++i) row[2 + 2 * i] = '0', row[3 + 2 * i] = ',';
  row.insert(row.size() - 2, "0");
  std::string steps;
  for (int s = 0; s < 1100; ++s) steps += (s ? "," : "") + row;
  StatusOr<LoadTrace> r = parseTrace(R"({"format": "hexmoe-trace", "tokens_per_step": 8, "num_experts": 4096, "steps": [)" +
                                         steps + "]}",
                                     "trace.json", model);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "trace.json: steps: 1100 steps of 64 MoE layers x 4096 experts exceed the 268435456 counts a trace may hold");
}

TEST(LoadTest, ExampleTraceParses) {
  StatusOr<ModelShape> model = loadModel(testing::sourceDir() + "/models/configs/mixtral-8x7b.json");
  ASSERT_TRUE(model.ok());
  StatusOr<LoadTrace> trace = loadTrace(testing::sourceDir() + "/models/traces/mixtral-8x7b-example.json", *model);
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  EXPECT_GT(trace->num_steps, 0);
}

}  // namespace
}  // namespace hexmoe::scheduler
