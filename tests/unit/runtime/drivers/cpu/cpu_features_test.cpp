// Host feature detection, names and overrides.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "runtime/drivers/cpu/cpu_features.h"

namespace hexmoe::hal::cpu {
namespace {

/// /proc/cpuinfo's flags for the first CPU; the runtime never reads this,
/// the test does to cross-check cpuid.
FeatureSet procCpuinfoFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  FeatureSet flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  return flags;
}

#if defined(__x86_64__)
TEST(CpuFeatures, DetectsTheBaseline) {
  const FeatureSet host = detectHostFeatures();
  for (const std::string& f : {"sse", "sse2", "lm"}) EXPECT_TRUE(host.count(f)) << f;
}

TEST(CpuFeatures, AgreesWithProcCpuinfo) {
  const FeatureSet proc = procCpuinfoFlags();
  if (proc.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags";
  const FeatureSet host = detectHostFeatures();
  for (const char* f : {"sse2", "ssse3", "sse4_2", "avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "abm", "movbe",
                        "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16", "avx512_vnni", "avx512_fp16"}) {
    EXPECT_EQ(host.count(f), proc.count(f)) << f << ": cpuid says " << host.count(f) << ", /proc/cpuinfo "
                                            << proc.count(f);
  }
}
#endif

TEST(CpuFeatures, CanonicalNames) {
  EXPECT_EQ(canonicalFeatureName("lzcnt"), "abm");
  EXPECT_EQ(canonicalFeatureName("sse3"), "pni");
  EXPECT_EQ(canonicalFeatureName("+AVX2"), "avx2");
  EXPECT_EQ(canonicalFeatureName("sse4.1"), "sse4_1");
  EXPECT_EQ(canonicalFeatureName("avx512bf16"), "avx512_bf16");
  EXPECT_EQ(canonicalFeatureName("amx-tile"), "amx_tile");
  EXPECT_EQ(canonicalFeatureName("avx512f"), "avx512f");
}

TEST(CpuFeatures, OverrideReplaces) {
  const FeatureSet detected = {"sse", "sse2", "avx", "avx2", "avx512f"};
  StatusOr<FeatureSet> s = applyFeatureOverride(detected, "avx, avx2 ,fma");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->count("fma"));
  EXPECT_FALSE(s->count("avx512f"));
  EXPECT_TRUE(s->count("sse2")) << "the baseline stays";
}

TEST(CpuFeatures, OverrideEdits) {
  const FeatureSet detected = {"sse", "sse2", "avx", "avx2", "avx512f", "avx512bw"};
  StatusOr<FeatureSet> s = applyFeatureOverride(detected, "-avx512f,-avx512bw,+avx512_bf16");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_FALSE(s->count("avx512f"));
  EXPECT_FALSE(s->count("avx512bw"));
  EXPECT_TRUE(s->count("avx512_bf16"));
  EXPECT_TRUE(s->count("avx2"));
}

TEST(CpuFeatures, OverrideErrors) {
  EXPECT_FALSE(applyFeatureOverride({}, "avx2,-fma").ok());
  EXPECT_FALSE(applyFeatureOverride({}, "-sse2").ok());
  StatusOr<FeatureSet> bad = applyFeatureOverride({}, "avx 2");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("malformed CPU feature 'avx 2'"), std::string::npos);
  // An empty override is the baseline alone.
  StatusOr<FeatureSet> empty = applyFeatureOverride({"avx2"}, "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, baselineFeatures());
}

TEST(CpuFeatures, Join) {
  EXPECT_EQ(joinFeatures(std::vector<std::string>{"a", "b"}), "a, b");
  EXPECT_EQ(joinFeatures(FeatureSet{"b", "a"}, ","), "a,b");
}

}  // namespace
}  // namespace hexmoe::hal::cpu
