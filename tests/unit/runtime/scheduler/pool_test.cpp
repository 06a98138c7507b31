#include "runtime/scheduler/pool.h"

#include <gtest/gtest.h>

#include "tests/unit/runtime/scheduler/test_util.h"

namespace hexmoe::scheduler {
namespace {

std::string errorOf(const std::string& text, const std::string& source = "pool.json") {
  StatusOr<Pool> pool = parsePool(text, source);
  EXPECT_FALSE(pool.ok());
  return pool.ok() ? "" : pool.status().message();
}

TEST(PoolTest, ExpandsPresetsWithCountsAndNames) {
  Pool pool = testing::poolFromJson(R"({"name": "box", "devices": [
    {"preset": "h100-sxm", "count": 2},
    {"preset": "a800", "count": 2, "name": "a800"},
    {"preset": "cpu-xeon-8480", "name": "host", "memory_gb": 768}]})");
  ASSERT_EQ(pool.size(), 5);
  EXPECT_EQ(pool.name, "box");
  EXPECT_EQ(pool.devices[0].name, "h100-sxm-0");
  EXPECT_EQ(pool.devices[1].name, "h100-sxm-1");
  EXPECT_EQ(pool.devices[3].name, "a800-1");
  EXPECT_EQ(pool.devices[3].kind, "a800-sxm");
  EXPECT_EQ(pool.devices[4].name, "host");
  EXPECT_DOUBLE_EQ(pool.devices[4].memory_gb, 768);
  EXPECT_EQ(pool.devices[4].device_class, DeviceClass::kCpu);
  EXPECT_EQ(pool.devices[4].host_link_gbps, 0);
  // No fp8 on A800: its fp8 peak is zero, which the cost model reads as "not native".
  EXPECT_EQ(pool.devices[2].tflops[static_cast<int>(DType::kFp8)], 0);
  EXPECT_GT(pool.devices[0].tflops[static_cast<int>(DType::kFp8)], 0);
  // One entry with a peer link is one NVLink island; different entries are not.
  EXPECT_EQ(pool.devices[0].peer_group, pool.devices[1].peer_group);
  EXPECT_NE(pool.devices[0].peer_group, pool.devices[2].peer_group);
  EXPECT_NEAR(pool.devices[0].host_link_gbps, 63.0, 0.1);  // PCIe 5 x16
  EXPECT_EQ(pool.numNodes(), 1);
}

TEST(PoolTest, EveryRequiredPresetExists) {
  for (const char* name : {"h100-sxm", "h800-sxm", "h20", "a100-sxm", "a800-sxm", "l40s", "rtx-4090", "mi300x",
                           "mi210", "hygon-k100-ai", "ascend-910b", "cpu-xeon-8480", "cpu-epyc-9654"}) {
    EXPECT_NE(findDevicePreset(name), nullptr) << name;
  }
  EXPECT_EQ(findDevicePreset("h100")->name, std::string("h100-sxm"));
  EXPECT_EQ(findDevicePreset("nope"), nullptr);
}

TEST(PoolTest, CustomDevicesAndLinks) {
  Pool pool = testing::poolFromJson(R"({"memory_reserve_fraction": 0.2, "devices": [
    {"name": "x", "class": "npu", "memory_gb": 32, "reserved_gb": 2, "memory_bandwidth_gbps": 800,
     "tflops": {"fp16": 140, "int8": 280}, "host_link": {"gbps": 20}, "launch_overhead_us": 15, "node": 1}]})");
  const DeviceSpec& d = pool.devices[0];
  EXPECT_EQ(d.kind, "custom");
  EXPECT_EQ(d.device_class, DeviceClass::kNpu);
  EXPECT_DOUBLE_EQ(d.host_link_gbps, 20);
  EXPECT_DOUBLE_EQ(d.launch_overhead_us, 15);
  EXPECT_DOUBLE_EQ(pool.usableBytes(0), 30e9);  // reserved_gb beats the pool's fraction
  EXPECT_EQ(pool.numNodes(), 2);
}

TEST(PoolTest, ErrorsNameTheFileAndField) {
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100"}, {"preset": "h20"},
                                    {"preset": "a800", "memory_gb": -4}]})"),
            "pool.json: devices[2].memory_gb: expected a positive number, got -4");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "memroy_gb": 10}]})").rfind(
                "pool.json: devices[0].memroy_gb: unknown field", 0),
            0u);
  EXPECT_NE(errorOf(R"({"devices": [{"preset": "h900"}]})").find("devices[0].preset: unknown preset \"h900\""),
            std::string::npos);
  EXPECT_EQ(errorOf(R"({"name": "x"})"), "pool.json: devices: missing (required)");
  EXPECT_EQ(errorOf(R"({"devices": []})"), "pool.json: devices: expected at least one device");
  EXPECT_EQ(errorOf(R"({"devices": [{"name": "g", "class": "gpu", "memory_gb": 8, "memory_bandwidth_gbps": 100}]})"),
            "pool.json: devices[0].tflops: missing (required without a preset)");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "tflops": {"fp9": 1}}]})").rfind(
                "pool.json: devices[0].tflops.fp9: unknown dtype", 0),
            0u);
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "count": 1.5}]})"),
            "pool.json: devices[0].count: expected an integer from 1 to 4096, got 1.5");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "host_link": {"pcie_gen": 9}}]})"),
            "pool.json: devices[0].host_link.pcie_gen: expected 3, 4, 5 or 6");
  EXPECT_EQ(errorOf(R"({"attention_devices": ["gpu-9"], "devices": [{"preset": "h100"}]})"),
            "pool.json: attention_devices[0]: no device named \"gpu-9\" in the pool");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "name": "a"}, {"preset": "h100", "name": "a"}]})"),
            "pool.json: devices[1].name: duplicate device name \"a\"");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "bandwidth_efficiency": 1.5}]})"),
            "pool.json: devices[0].bandwidth_efficiency: expected a number in (0, 1], got 1.5");
}

TEST(PoolTest, SyntaxErrorsSayWhere) {
  std::string message = errorOf("{\n  \"devices\": [\n    {\"preset\": \"h100\",}\n  ]\n}");
  EXPECT_EQ(message.rfind("pool.json:3:", 0), 0u) << message;
  EXPECT_NE(message.find("invalid JSON"), std::string::npos);
}

TEST(PoolTest, NumbersBeyondADoubleAndDeepNestingAreSyntaxErrors) {
  // nlohmann throws out_of_range (not parse_error) for 1e400; it must not escape.
  EXPECT_EQ(errorOf("{\"devices\": [\n  {\"preset\": \"h100\", \"memory_gb\": 1e400}]}"),
            "pool.json:2:35: invalid JSON: the number 1e400 is beyond the range of a double");
  // Dumping 200,000 levels into a message would overflow the stack.
  std::string deep = "{\"devices\": " + std::string(200000, '[') + std::string(200000, ']') + "}";
  EXPECT_EQ(errorOf(deep), "pool.json:1:76: invalid JSON: nested deeper than 64 levels");
  // Brackets inside strings do not count.
  EXPECT_NE(errorOf("{\"name\": \"" + std::string(100, '[') + "\"}").find("devices: missing"), std::string::npos);
}

TEST(PoolTest, QuantitiesAndCountsHaveLimits) {
  // 1e20 GB once became "room for -3249592603124123136 GB" (an int64 overflow).
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "memory_gb": 1e20}]})"),
            "pool.json: devices[0].memory_gb: expected a positive number no larger than 1e+06, got 1e+20");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "tflops": {"bf16": 1e300}}]})"),
            "pool.json: devices[0].tflops.bf16: expected a non-negative number no larger than 1e+06, got 1e+300");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "node": 4294967297}]})"),
            "pool.json: devices[0].node: expected an integer from 0 to 4095, got 4294967297");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "count": 4096}, {"preset": "cpu"}]})"),
            "pool.json: devices[1]: the pool would have 4097 devices, more than the scheduler's limit of 4096");
  EXPECT_EQ(errorOf(R"({"devices": [{"preset": "h100", "host_link": {"lanes": 64}}]})"),
            "pool.json: devices[0].host_link.lanes: expected an integer from 1 to 32, got 64");
}

TEST(PoolTest, InlineSpecCountsAreChecked) {
  auto error = [](const std::string& spec) {
    StatusOr<Pool> pool = parsePoolSpec(spec);
    EXPECT_FALSE(pool.ok()) << spec;
    return pool.ok() ? "" : pool.status().message();
  };
  // Once an uncaught std::out_of_range from std::stoi.
  EXPECT_EQ(error("99999999999xh100"),
            "pool spec \"99999999999xh100\": \"99999999999xh100\" asks for more than 4096 devices; a pool has 1 to "
            "4096");
  EXPECT_EQ(error("0xh100"), "pool spec \"0xh100\": \"0xh100\" asks for 0 devices; a pool has 1 to 4096");
  EXPECT_EQ(error("4000xh100+97xcpu"),
            "pool spec \"4000xh100+97xcpu\": \"97xcpu\" makes the pool 4097 devices, more than the scheduler's limit "
            "of 4096");
  StatusOr<Pool> most = parsePoolSpec("4000xh100+96xcpu");
  ASSERT_TRUE(most.ok()) << most.status().message();
  EXPECT_EQ(most->size(), kMaxPoolDevices);
}

TEST(PoolTest, InlineSpec) {
  StatusOr<Pool> pool = parsePoolSpec("2xh100+a800+3xcpu");
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  ASSERT_EQ(pool->size(), 6);
  EXPECT_EQ(pool->devices[2].name, "a800-sxm-0");
  EXPECT_EQ(pool->devices[5].name, "cpu-xeon-8480-2");
  StatusOr<Pool> bad = parsePoolSpec("2xh100+7xnothing");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"7xnothing\" is not COUNTxPRESET"), std::string::npos);
}

TEST(PoolTest, WrittenPoolsReadBack) {
  Pool pool = testing::poolFromJson(R"({"network_gbps": 40, "attention_devices": ["h100-1"], "devices": [
    {"preset": "h100", "count": 2, "name": "h100", "node": 1}, {"preset": "cpu", "name": "c", "memory_gb": 100}]})");
  pool.devices[1].lost = true;
  StatusOr<Pool> again = parsePool(poolToJson(pool).dump(), "again");
  ASSERT_TRUE(again.ok()) << again.status().message();
  ASSERT_EQ(again->size(), pool.size());
  for (int d = 0; d < pool.size(); ++d) {
    EXPECT_EQ(again->devices[d].name, pool.devices[d].name);
    EXPECT_EQ(again->devices[d].kind, pool.devices[d].kind);
    EXPECT_EQ(again->devices[d].peer_group, pool.devices[d].peer_group);
    EXPECT_EQ(again->devices[d].node, pool.devices[d].node);
    EXPECT_EQ(again->devices[d].lost, pool.devices[d].lost);
    EXPECT_DOUBLE_EQ(again->devices[d].host_link_gbps, pool.devices[d].host_link_gbps);
    EXPECT_EQ(again->devices[d].tflops, pool.devices[d].tflops);
  }
  EXPECT_EQ(again->attention_devices, pool.attention_devices);
  EXPECT_DOUBLE_EQ(again->network_gbps, 40);
}

TEST(PoolTest, ExampleFilesParse) {
  for (const char* name : {"mixed-h100-a800-cpu", "mixed-h20-dcu", "mixed-h100-cpu", "mixed-16", "homogeneous-16xh100",
                           "homogeneous-8xh20", "homogeneous-8xmi300x", "workstation-4090-cpu", "custom-example"}) {
    StatusOr<Pool> pool = loadPool(testing::sourceDir() + "/models/pools/" + name + ".json");
    EXPECT_TRUE(pool.ok()) << name << ": " << pool.status().message();
  }
}

}  // namespace
}  // namespace hexmoe::scheduler
