#include "runtime/scheduler/cost_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/scheduler/calibration.h"
#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

CostModel build(const Pool& pool, const ModelShape& model, double tokens = 64,
                Objective objective = Objective::kLatency) {
  CostOptions options;
  options.tokens_per_step = tokens;
  options.objective = objective;
  StatusOr<CostModel> cm = CostModel::build(pool, model, options);
  EXPECT_TRUE(cm.ok()) << cm.status().message();
  return *cm;
}

TEST(CostModelTest, ReplicaTimeIsARoofline) {
  ModelShape model = testing::tinyModel();
  CostModel cm = build(testing::mixedPool(), model);
  int gpu = 0;
  double bytes = model.expertBytes(), flops = model.expertFlopsPerToken();
  double bw = 1000e9 * 0.8, peak = 100e12 * 0.7;  // datasheet x default GPU efficiencies
  EXPECT_DOUBLE_EQ(cm.replicaSeconds(gpu, 0), 0);
  // Few tokens: a weight read, paid only if some token comes (Poisson).
  EXPECT_NEAR(cm.replicaSeconds(gpu, 0.5), (1 - std::exp(-0.5)) * bytes / bw, 1e-15);
  // Many tokens: compute-bound.
  EXPECT_NEAR(cm.replicaSeconds(gpu, 1e5), 1e5 * flops / peak, 1e-12);
  EXPECT_NEAR(cm.replicaSecondsForCount(gpu, 1), bytes / bw, 1e-15);
  EXPECT_EQ(cm.replicaSecondsForCount(gpu, 0), 0);
  double previous = 0;
  for (double n = 0.1; n < 1e5; n *= 1.7) {
    double t = cm.replicaSeconds(gpu, n);
    EXPECT_GE(t, previous);
    previous = t;
    // maxTokensWithin inverts it: the most tokens that still fit in t (past
    // the point where a read is certain, up to the ridge point, the time is
    // flat, so "most" may be more than n; and there 1 - e^-n rounds, so the
    // inverse is only good to a part in a thousand).
    double most = cm.maxTokensWithin(gpu, t);
    EXPECT_GE(most, n * (1 - 1e-3));
    EXPECT_LE(cm.replicaSeconds(gpu, most), t * (1 + 1e-9));
  }
}

TEST(CostModelTest, NonNativeDtypesPayDequantisation) {
  StatusOr<ModelShape> deepseek = loadModel(testing::sourceDir() + "/models/configs/deepseek-v3.json");
  ASSERT_TRUE(deepseek.ok());
  Pool pool = testing::poolFromJson(R"({"devices": [{"preset": "h100"}, {"preset": "a800"}, {"preset": "cpu"}]})");
  CostModel cm = build(pool, *deepseek);
  EXPECT_TRUE(cm.nativeWeights(0));
  EXPECT_FALSE(cm.nativeWeights(1));  // no fp8 on A800
  EXPECT_FALSE(cm.nativeWeights(2));
  EXPECT_DOUBLE_EQ(cm.bytesPerSecond(1), 2039e9 * 0.8 * 0.9);
  EXPECT_DOUBLE_EQ(cm.flopsPerSecond(1), 312e12 * 0.7 * 0.6);  // bf16 peak, dequant factor
  EXPECT_DOUBLE_EQ(cm.flopsPerSecond(0), 1979e12 * 0.7);
  EXPECT_GT(cm.replicaSeconds(1, 64), cm.replicaSeconds(0, 64));
}

TEST(CostModelTest, CalibrationOverridesByKindThenName) {
  StatusOr<Calibration> calibration = parseCalibration(R"({"format": "hexmoe-calibration", "devices": {
      "h100-sxm": {"bandwidth_efficiency": 0.5, "launch_overhead_us": 9},
      "h100-sxm-1": {"bandwidth_efficiency": 0.25}}, "link_efficiency": 0.5})", "cal.json");
  ASSERT_TRUE(calibration.ok()) << calibration.status().message();
  Pool pool = testing::poolFromJson(R"({"devices": [{"preset": "h100", "count": 2}, {"preset": "a800"}]})");
  EXPECT_EQ(applyCalibration(*calibration, &pool), 2);
  EXPECT_DOUBLE_EQ(pool.devices[0].bandwidth_efficiency, 0.5);
  EXPECT_DOUBLE_EQ(pool.devices[1].bandwidth_efficiency, 0.25);
  EXPECT_DOUBLE_EQ(pool.devices[1].launch_overhead_us, 9);
  EXPECT_DOUBLE_EQ(pool.devices[2].bandwidth_efficiency, 0.8);
  EXPECT_DOUBLE_EQ(pool.link_efficiency, 0.5);
  StatusOr<Calibration> bad = parseCalibration(
      R"({"format": "hexmoe-calibration", "devices": {"h100-sxm": {"compute_efficiency": 2}}})", "cal.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "cal.json: devices.h100-sxm.compute_efficiency: expected a number in (0, 1], got 2");
}

TEST(CostModelTest, AttentionGoesToTheFastestMemoryAndCostsMemory) {
  ModelShape model = testing::tinyModel();
  Pool pool = testing::mixedPool();
  CostModel cm = build(pool, model);
  EXPECT_EQ(cm.attentionDevices(), (std::vector<int>{0, 1}));  // both GPUs, not the CPU
  EXPECT_GT(cm.attentionSeconds(0), 0);
  EXPECT_EQ(cm.attentionSeconds(2), 0);
  EXPECT_DOUBLE_EQ(cm.nonExpertBytes(0), model.nonExpertBytes());
  EXPECT_EQ(cm.nonExpertBytes(2), 0);
  EXPECT_EQ(cm.expertSlots(0), static_cast<int64_t>((pool.usableBytes(0) - model.nonExpertBytes()) / model.expertBytes()));
  // Explicit attention devices win.
  StatusOr<CostModel> explicit_cm = CostModel::build(pool, model, CostOptions{}, {2});
  ASSERT_TRUE(explicit_cm.ok());
  EXPECT_EQ(explicit_cm->attentionDevices(), (std::vector<int>{2}));
}

TEST(CostModelTest, ExchangeUsesTheLinksOnThePath) {
  ModelShape model = testing::tinyModel();
  CostModel cm = build(testing::mixedPool(), model);
  // The GPUs share an NVLink island; the CPU is reached over the GPUs' PCIe
  // (a socket has no port of its own in the model).
  double copy = 2.0 * model.activationBytesPerToken();
  for (const auto& [q, k] : cm.portCoefficients(2)) {
    EXPECT_NE(cm.port(q).name.find(".pcie"), std::string::npos);
    EXPECT_NEAR(k, 0.5 * copy / (pcieGbps(4, 16) * 1e9 * 0.8), 1e-18);
  }
  EXPECT_EQ(cm.portCoefficients(2).size(), 2u);
  for (const auto& [q, k] : cm.portCoefficients(0)) {
    EXPECT_NE(cm.port(q).name.find(".nvlink"), std::string::npos);
  }
  EXPECT_GT(cm.exchangeLatency(2), cm.exchangeLatency(0));
  EXPECT_DOUBLE_EQ(cm.layerSeconds(3, 2, 1), 6);
  CostModel throughput = build(testing::mixedPool(), model, 4096, Objective::kThroughput);
  EXPECT_DOUBLE_EQ(throughput.layerSeconds(3, 2, 1), 3);
}

TEST(CostModelTest, AttentionDeviceTooSmallExhaustsResources) {
  ModelShape model = testing::tinyModel();
  Pool pool = testing::poolFromJson(R"({"devices": [{"name": "g", "class": "gpu", "memory_gb": 0.01,
    "memory_bandwidth_gbps": 100, "tflops": {"bf16": 10}}]})");
  StatusOr<CostModel> cm = CostModel::build(pool, model, CostOptions{});
  ASSERT_FALSE(cm.ok());
  EXPECT_EQ(cm.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace hexmoe::scheduler
