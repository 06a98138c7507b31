// Variant selection: best runnable variant, or an error naming what is missing.
#include "runtime/drivers/cpu/cpu_variant.h"

#include <utility>

namespace hexmoe::hal::cpu {
namespace {

/// How specific a variant's code is by its isa name: a native build above
/// x86-64-v4 above v3 above v2 above the baseline, unknown names last.
/// "x86-64-v4-bf16" and "x86-64-v4+avx512_bf16" count as level 4.
int isaLevel(const std::string& isa) {
  if (isa.rfind("native", 0) == 0) return 5;
  const std::string prefix = "x86-64-v";
  if (isa.rfind(prefix, 0) == 0 && isa.size() > prefix.size() && isa[prefix.size()] >= '1' &&
      isa[prefix.size()] <= '4')
    return isa[prefix.size()] - '0';
  if (isa == "x86-64" || isa.rfind("x86-64+", 0) == 0) return 1;
  return 0;
}

}  // namespace

std::vector<std::string> missingFeatures(const VariantRequirements& variant, const FeatureSet& host) {
  std::vector<std::string> missing;
  for (const std::string& f : variant.features) {
    const std::string name = canonicalFeatureName(f);
    if (!host.count(name)) missing.push_back(f);
  }
  return missing;
}

StatusOr<int> selectVariant(const std::vector<VariantRequirements>& variants,
                            const FeatureSet& host, const std::string& forced,
                            const std::string& forcedBy, const std::string& what) {
  if (variants.empty())
    return failedPrecondition(what + ": the artifact has no CPU code (no CPU variants)");

  if (!forced.empty()) {
    std::string isas;
    for (size_t i = 0; i < variants.size(); ++i) {
      if (variants[i].isa != forced) {
        isas += (isas.empty() ? "" : ", ") + variants[i].isa;
        continue;
      }
      std::vector<std::string> missing = missingFeatures(variants[i], host);
      if (!missing.empty())
        return failedPrecondition(what + ": CPU variant " + forced + " (chosen by " + forcedBy +
                                  ") does not run on this host: it needs " +
                                  joinFeatures(missing) + " (host lacks " +
                                  (missing.size() == 1 ? "it)" : "them)"));
      return static_cast<int>(i);
    }
    return notFound(what + ": " + forcedBy + " asks for CPU variant '" + forced +
                    "', the artifact has " + isas);
  }

  int best = -1;
  std::string reasons;
  size_t missingCount = 0;
  for (size_t i = 0; i < variants.size(); ++i) {
    std::vector<std::string> missing = missingFeatures(variants[i], host);
    if (missing.empty()) {
      const auto rank = [&](size_t v) { return std::make_pair(isaLevel(variants[v].isa), variants[v].features.size()); };
      if (best < 0 || rank(i) > rank(static_cast<size_t>(best))) best = static_cast<int>(i);
      continue;
    }
    reasons += (reasons.empty() ? "" : "; ") + variants[i].isa + " needs " + joinFeatures(missing);
    missingCount += missing.size();
  }
  if (best >= 0) return best;
  return failedPrecondition(what + ": no CPU variant runs on this host: " + reasons + " (host lacks " +
                            (missingCount == 1 ? "it)" : "them)"));
}

}  // namespace hexmoe::hal::cpu
