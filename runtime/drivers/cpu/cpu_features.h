// x86 host feature detection (cpuid + xgetbv) and feature-name handling.
//
// Names are those of /proc/cpuinfo flags (avx2, fma, avx512f, avx512_bf16,
// abm for lzcnt, pni for sse3, ...). LLVM spellings are accepted wherever a
// feature is named (lzcnt, sse3, sse4.1, avx512bf16, amx-tile, +avx2) and
// mapped to these.
#ifndef HEXMOE_RUNTIME_DRIVERS_CPU_CPU_FEATURES_H_
#define HEXMOE_RUNTIME_DRIVERS_CPU_CPU_FEATURES_H_

#include <set>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace hexmoe::hal::cpu {

using FeatureSet = std::set<std::string>;

/// What this CPU and OS support: a feature is reported only when cpuid lists
/// it and the OS saves its register state (XCR0). Empty off x86-64.
FeatureSet detectHostFeatures();

/// Features every x86-64 CPU has (sse2, ...); always part of a host's set.
const FeatureSet& baselineFeatures();

/// Lower-cases, strips a leading '+', maps '-' and '.' to '_' and LLVM names
/// to /proc/cpuinfo names ("lzcnt" -> "abm", "avx512bf16" -> "avx512_bf16").
std::string canonicalFeatureName(const std::string& name);

/// Applies a feature override to `detected`. A spec whose entries all start
/// with '+' or '-' edits it ("-avx512f,-avx512bw" fakes a host without those);
/// otherwise the spec replaces it ("avx,avx2,fma"). The baseline always stays.
StatusOr<FeatureSet> applyFeatureOverride(const FeatureSet& detected, const std::string& spec);

/// "a, b, c" (or "a,b,c" with `separator` = ",").
std::string joinFeatures(const std::vector<std::string>& features, const char* separator = ", ");
std::string joinFeatures(const FeatureSet& features, const char* separator = ", ");

/// The CPU's brand string ("AMD EPYC 7B13"), or "" when unknown.
std::string cpuModelName();

}  // namespace hexmoe::hal::cpu

#endif  // HEXMOE_RUNTIME_DRIVERS_CPU_CPU_FEATURES_H_
