// Choosing which compiled CPU variant of an artifact this host runs.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_CPU_VARIANT_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_CPU_VARIANT_H_

#include <string>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/drivers/cpu/cpu_features.h"

namespace hexmoe::hal::cpu {

struct VariantRequirements {
  std::string isa;                     // "x86-64-v3", "x86-64-v4", "native:znver3"
  std::vector<std::string> features;   // as the artifact lists them
};

/// Returns the index of the variant to load.
///
/// Without `forced`, picks among the variants whose required features the
/// host has the most specific one: by isa level first ("native..." above
/// "x86-64-v4..." above "x86-64-v3..." above "x86-64-v2..." above "x86-64",
/// other names last), then by the number of required features (so
/// "x86-64-v4-bf16", needing avx512_bf16 too, beats plain "x86-64-v4"), then
/// the earlier variant in the artifact.
/// With `forced` (an isa), picks that variant or fails. Never picks a variant
/// the host cannot run: the error names each variant's missing features, e.g.
/// "no CPU variant runs on this host: x86-64-v4 needs avx512f, avx512bw (host
/// lacks them)". `what` prefixes messages; `forcedBy` names where `forced`
/// came from (an option or an environment variable).
StatusOr<int> selectVariant(const std::vector<VariantRequirements>& variants,
                            const FeatureSet& host, const std::string& forced,
                            const std::string& forcedBy, const std::string& what);

/// The required features `host` lacks, in the artifact's order.
std::vector<std::string> missingFeatures(const VariantRequirements& variant, const FeatureSet& host);

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_CPU_VARIANT_H_
