// CPU variant selection: the pure rule, then through the C API with faked
// hosts, environment variables, and every variant the real host can run.
#include <gtest/gtest.h>

#include <cstdlib>

#include "runtime/drivers/cpu/cpu_variant.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace hexmoe {
namespace {

using hal::cpu::FeatureSet;
using hal::cpu::selectVariant;
using hal::cpu::VariantRequirements;
using namespace hexmoe::test;

const std::vector<VariantRequirements> kVariants = {
    {"x86-64-v4", {"avx512f", "avx512bw"}}, {"x86-64-v3", {"avx", "avx2", "fma"}}, {"generic", {"sse2"}}};

FeatureSet host(std::initializer_list<const char*> features) {
  FeatureSet s = hal::cpu::baselineFeatures();
  for (const char* f : features) s.insert(f);
  return s;
}

int pick(const std::vector<VariantRequirements>& variants, const FeatureSet& features, const std::string& forced = "") {
  StatusOr<int> r = selectVariant(variants, features, forced, "HEXMOE_CPU_VARIANT", "x.hxm");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : -1;
}

TEST(VariantSelection, PrefersTheMostSpecificVariantThatRuns) {
  EXPECT_EQ(pick(kVariants, host({"avx", "avx2", "fma", "avx512f", "avx512bw"})), 0);
  EXPECT_EQ(pick(kVariants, host({"avx", "avx2", "fma"})), 1);
  EXPECT_EQ(pick(kVariants, host({"avx", "avx2"})), 2);
  EXPECT_EQ(pick(kVariants, host({})), 2);
  // v4 wins even when listed after v3.
  EXPECT_EQ(pick({kVariants[1], kVariants[0]}, host({"avx", "avx2", "fma", "avx512f", "avx512bw"})), 1);
}

TEST(VariantSelection, LevelThenFeatureCountThenOrder) {
  const FeatureSet all = host({"avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_bf16"});
  // Level beats feature count: v4 listing only its extra features still wins.
  EXPECT_EQ(pick({{"x86-64-v3", {"avx", "avx2", "fma"}}, {"x86-64-v4", {"avx512f"}}}, all), 1);
  // Within a level, the variant needing more features is the specialised one.
  EXPECT_EQ(pick({{"x86-64-v4-bf16", {"avx512f", "avx512_bf16"}}, {"x86-64-v4", {"avx512f"}}}, all), 0);
  EXPECT_EQ(pick({{"x86-64-v4", {"avx512f"}}, {"x86-64-v4+avx512_bf16", {"avx512f", "avx512_bf16"}}}, all), 1);
  EXPECT_EQ(pick({{"x86-64-v4", {"avx512f"}}, {"native:sapphirerapids", {"avx512f"}}}, all), 1);
  EXPECT_EQ(pick({{"mystery", {"avx512f", "avx512bw"}}, {"x86-64", {}}}, all), 1);
  // Ties go to the earlier variant.
  EXPECT_EQ(pick({{"a", {"avx2"}}, {"b", {"fma"}}}, all), 0);
}

TEST(VariantSelection, RequirementsMayUseLlvmNames) {
  EXPECT_EQ(pick({{"v3", {"lzcnt", "sse3", "+avx2"}}}, host({"abm", "pni", "avx2"})), 0);
}

TEST(VariantSelection, NoVariantRunsNamesTheMissingFeatures) {
  StatusOr<int> r = selectVariant({kVariants[0]}, host({"avx", "avx2", "fma"}), "", "", "layer.hxm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "layer.hxm: no CPU variant runs on this host: x86-64-v4 needs avx512f, avx512bw (host lacks them)");

  r = selectVariant({kVariants[0], kVariants[1]}, host({"avx"}), "", "", "layer.hxm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "layer.hxm: no CPU variant runs on this host: x86-64-v4 needs avx512f, avx512bw; "
            "x86-64-v3 needs avx2, fma (host lacks them)");

  r = selectVariant({kVariants[0]}, host({"avx512f"}), "", "", "layer.hxm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "layer.hxm: no CPU variant runs on this host: x86-64-v4 needs avx512bw (host lacks it)");

  r = selectVariant({}, host({}), "", "", "layer.hxm");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

TEST(VariantSelection, Forced) {
  const FeatureSet all = host({"avx", "avx2", "fma", "avx512f", "avx512bw"});
  EXPECT_EQ(pick(kVariants, all, "x86-64-v3"), 1);
  EXPECT_EQ(pick(kVariants, all, "generic"), 2);

  StatusOr<int> r = selectVariant(kVariants, host({"avx", "avx2", "fma"}), "x86-64-v4", "HEXMOE_CPU_VARIANT=x86-64-v4",
                                  "layer.hxm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "layer.hxm: CPU variant x86-64-v4 (chosen by HEXMOE_CPU_VARIANT=x86-64-v4) does not run on this host: "
            "it needs avx512f, avx512bw (host lacks them)");

  r = selectVariant(kVariants, all, "x86-64-v9", "HEXMOE_CPU_VARIANT=x86-64-v9", "layer.hxm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "layer.hxm: HEXMOE_CPU_VARIANT=x86-64-v9 asks for CPU variant 'x86-64-v9', "
                                  "the artifact has x86-64-v4, x86-64-v3, generic");
}

// Through the C API, with the default test artifact (v4: tag 4, v3: tag 3,
// generic: tag 1). The kernels are plain C, so running the "v4" build on a
// host that only claims AVX-512 is safe.
TEST(VariantLoading, FakedHostsPickTheirVariant) {
  const std::vector<uint8_t> artifact = buildTestArtifact();
  const struct {
    const char* features;
    const char* isa;
    int tag;
  } kCases[] = {{"avx,avx2,fma,avx512f,avx512bw", "x86-64-v4", 4},
                {"avx,avx2,fma", "x86-64-v3", 3},
                {"avx2,fma", "generic", 1},
                {"sse2", "generic", 1}};
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.features);
    RuntimeConfig config;
    config.cpuFeatures = c.features;
    RuntimePtr rt = makeRuntime(config);
    ModulePtr module;
    Result r = loadModule(rt.get(), artifact, module);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_STREQ(hexmoe_module_cpu_variant(module.get()), c.isa);
    EXPECT_EQ(variantTag(module.get()), c.tag);
  }
}

TEST(VariantLoading, HostWithoutTheOnlyVariantsFeatureIsRefused) {
  TestArtifactOptions options;
  options.variants = {{"x86-64-v4", {"avx512f", "avx512bw"}, 4}};
  RuntimeConfig config;
  config.cpuFeatures = "avx,avx2,fma";
  RuntimePtr rt = makeRuntime(config);
  ModulePtr module;
  Result r = loadModule(rt.get(), buildTestArtifact(options), module, "layer.hxm");
  EXPECT_EQ(r.code, HEXMOE_STATUS_FAILED_PRECONDITION);
  EXPECT_EQ(r.message,
            "layer.hxm: no CPU variant runs on this host: x86-64-v4 needs avx512f, avx512bw (host lacks them) "
            "[host features from the cpu driver's features option 'avx,avx2,fma']");
  EXPECT_EQ(module, nullptr);

  // A host without AVX2 either, against a v3-only artifact.
  options.variants = {{"x86-64-v3", {"avx", "avx2", "fma"}, 3}};
  config.cpuFeatures = "sse2,sse4_2";
  RuntimePtr noAvx2 = makeRuntime(config);
  r = loadModule(noAvx2.get(), buildTestArtifact(options), module, "layer.hxm");
  EXPECT_EQ(r.code, HEXMOE_STATUS_FAILED_PRECONDITION);
  EXPECT_TRUE(contains(r.message, "x86-64-v3 needs avx, avx2, fma (host lacks them)")) << r.message;
}

/// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, hadOld_ = true;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (hadOld_) setenv(name_, old_.c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool hadOld_ = false;
};

TEST(VariantLoading, EnvironmentOverridesFeaturesAndVariant) {
  TestArtifactOptions v4only;
  v4only.variants = {{"x86-64-v4", {"avx512f", "avx512bw"}, 4}};
  {
    ScopedEnv env("HEXMOE_CPU_FEATURES", "-avx512f");
    RuntimePtr rt = makeRuntime();
    EXPECT_FALSE(contains(std::string(",") + hexmoe_runtime_cpu_features(rt.get()) + ",", ",avx512f,"));
    ModulePtr module;
    Result r = loadModule(rt.get(), buildTestArtifact(v4only), module, "layer.hxm");
    EXPECT_EQ(r.code, HEXMOE_STATUS_FAILED_PRECONDITION);
    EXPECT_TRUE(contains(r.message, "x86-64-v4 needs avx512f")) << r.message;
    EXPECT_TRUE(contains(r.message, "[host features from HEXMOE_CPU_FEATURES=-avx512f]")) << r.message;
  }
  {
    ScopedEnv env("HEXMOE_CPU_VARIANT", "x86-64-v3");
    RuntimeConfig config;
    config.cpuFeatures = "avx,avx2,fma,avx512f,avx512bw";
    RuntimePtr rt = makeRuntime(config);
    ModulePtr module;
    ASSERT_TRUE(loadModule(rt.get(), buildTestArtifact(), module).ok());
    EXPECT_EQ(variantTag(module.get()), 3);
    // The option wins over the environment.
    config.cpuVariant = "generic";
    RuntimePtr rt2 = makeRuntime(config);
    ASSERT_TRUE(loadModule(rt2.get(), buildTestArtifact(), module).ok());
    EXPECT_EQ(variantTag(module.get()), 1);
  }
  {
    ScopedEnv env("HEXMOE_CPU_FEATURES", "avx2,-fma");
    hexmoe_runtime_t* rt = nullptr;
    Result r = take(hexmoe_runtime_create(nullptr, &rt));
    EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(r.message, "HEXMOE_CPU_FEATURES: ")) << r.message;
  }
}

// What the test suites do on every machine: run each variant the real host
// supports (HEXMOE_CPU_VARIANT or the cpu_variant option) and check that the
// others are refused rather than run.
TEST(VariantLoading, EveryVariantTheRealHostSupports) {
  RuntimePtr probe = makeRuntime();
  const std::string features = std::string(",") + hexmoe_runtime_cpu_features(probe.get()) + ",";
  for (const TestVariant& v : TestArtifactOptions::defaultVariants()) {
    SCOPED_TRACE(v.isa);
    bool runs = true;
    for (const std::string& f : v.features) runs &= contains(features, "," + f + ",");
    RuntimeConfig config;
    config.cpuVariant = v.isa.c_str();
    RuntimePtr rt = makeRuntime(config);
    ModulePtr module;
    Result r = loadModule(rt.get(), buildTestArtifact(), module);
    if (runs) {
      ASSERT_TRUE(r.ok()) << r.message;
      EXPECT_EQ(variantTag(module.get()), v.tag);
    } else {
      EXPECT_EQ(r.code, HEXMOE_STATUS_FAILED_PRECONDITION) << r.message;
    }
  }
  // Unforced, the host gets the best it runs.
  ModulePtr module;
  ASSERT_TRUE(loadModule(probe.get(), buildTestArtifact(), module).ok());
  const bool v4 = contains(features, ",avx512f,") && contains(features, ",avx512bw,");
  const bool v3 = contains(features, ",avx,") && contains(features, ",avx2,") && contains(features, ",fma,");
  EXPECT_EQ(variantTag(module.get()), v4 ? 4 : v3 ? 3 : 1);
}

}  // namespace
}  // namespace hexmoe
