#include "runtime/scheduler/plan_json.h"

#include <gtest/gtest.h>

#include "runtime/scheduler/report_svg.h"
#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

TEST(PlanJsonTest, RoundTrips) {
  ModelShape model = testing::tinyModel();
  PlanRequest r = testing::request(testing::mixedPool(), model, "zipf:1");
  r.planner.compute_lower_bound = true;
  Plan p = testing::plan(r);
  Json json = planToJson(p);
  EXPECT_EQ(json["format"], "hexmoe-plan");
  EXPECT_EQ(json["layers"].size(), p.layers.size());
  EXPECT_EQ(json["layers"][0]["layer"], model.moe_layers[0]);
  EXPECT_EQ(json["devices"].size(), static_cast<size_t>(p.pool.size()));
  EXPECT_TRUE(json["predicted"].contains("lower_bound_ms"));
  StatusOr<Plan> again = parsePlan(json.dump(), "plan.json");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_NEAR(again->metrics.step_seconds, p.metrics.step_seconds, 1e-5 * p.metrics.step_seconds);
  EXPECT_NEAR(again->lower_bound_seconds, p.lower_bound_seconds, 1e-12);
  EXPECT_EQ(again->attention_devices, p.attention_devices);
  for (size_t l = 0; l < p.layers.size(); ++l) {
    for (size_t e = 0; e < p.layers[l].experts.size(); ++e) {
      ASSERT_EQ(again->layers[l].experts[e].size(), p.layers[l].experts[e].size());
      EXPECT_EQ(again->layers[l].experts[e][0].device, p.layers[l].experts[e][0].device);
    }
  }
}

TEST(PlanJsonTest, BadPlansNameTheField) {
  ModelShape model = testing::tinyModel();
  Plan p = testing::plan(testing::request(testing::mixedPool(), model));
  Json json = planToJson(p);
  json["layers"][1]["experts"][3] = Json::array({Json::array({9, 1.0})});
  StatusOr<Plan> bad = parsePlan(json.dump(), "plan.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "plan.json: layers[1].experts[3][0]: expected [device index below 3, share], got [9,1.0]");
  json = planToJson(p);
  json["layers"].erase(0);
  bad = parsePlan(json.dump(), "plan.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "plan.json: layers: expected 4 MoE layers, got 3");
  // 4294967297 once read as device 1.
  json = planToJson(p);
  json["layers"][0]["experts"][0][0][0] = 4294967297LL;
  bad = parsePlan(json.dump(), "plan.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "plan.json: layers[0].experts[0][0]: expected [device index below 3, share], got [4294967297,1.0]");
  json = planToJson(p);
  json["tokens_per_step"] = 1e300;
  bad = parsePlan(json.dump(), "plan.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "plan.json: tokens_per_step: expected a positive number no larger than 1e+09, got 1e+300");
  json = planToJson(p);
  json["pool"]["devices"][0]["memory_gb"] = "big";
  bad = parsePlan(json.dump(), "plan.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "plan.json (pool): devices[0].memory_gb: expected a positive number, got \"big\"");
}

TEST(PlanJsonTest, DeeplyNestedPlansAreRefusedBeforeAnythingIsDumped) {
  // The nested pool is re-serialised for its reader; 200,000 levels once
  // overflowed the stack there.
  std::string text = R"({"format": "hexmoe-plan", "pool": {"devices": )" + std::string(200000, '[') +
                     std::string(200000, ']') + "}}";
  StatusOr<Plan> bad = parsePlan(text, "plan.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "plan.json:1:109: invalid JSON: nested deeper than 64 levels");
}

TEST(ReportTest, SvgShowsDevicesAndEscapesNames) {
  ModelShape model = testing::tinyModel();
  Pool pool = testing::mixedPool();
  pool.devices[2].name = "cpu <&> socket";
  Plan p = testing::plan(testing::request(pool, model));
  ReportOptions options;
  options.comparisons.emplace_back("eplb", 2 * p.metrics.step_seconds);
  std::string svg = renderPlanSvg(p, options);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("gpu-0"), std::string::npos);
  EXPECT_NE(svg.find("cpu &lt;&amp;&gt; socket"), std::string::npos);
  EXPECT_EQ(svg.find("cpu <&> socket"), std::string::npos);
  EXPECT_NE(svg.find("eplb"), std::string::npos);
  EXPECT_NE(svg.find("Device utilisation per MoE layer"), std::string::npos);
}

}  // namespace
}  // namespace hexmoe::scheduler
