// Reads x86 features from cpuid and xgetbv, never from /proc/cpuinfo, so the
// answer is what this process can execute.
#include "runtime/drivers/cpu/cpu_features.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace hexmoe::hal::cpu {
namespace {

#if defined(__x86_64__)
struct Regs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Regs cpuid(uint32_t leaf, uint32_t subleaf) {
  Regs r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

/// xgetbv needs no compiler flag this way (the intrinsic needs -mxsave).
uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

enum Reg { kEax, kEbx, kEcx, kEdx };

/// State the OS must enable in XCR0 before a feature's registers are usable.
enum class OsState { kNone, kAvx, kAvx512, kAmx };

struct FeatureBit {
  uint32_t leaf, subleaf;
  Reg reg;
  int bit;
  const char* name;
  OsState state;
};

constexpr FeatureBit kFeatureBits[] = {
    {1, 0, kEdx, 0, "fpu", OsState::kNone},
    {1, 0, kEdx, 8, "cx8", OsState::kNone},
    {1, 0, kEdx, 15, "cmov", OsState::kNone},
    {1, 0, kEdx, 23, "mmx", OsState::kNone},
    {1, 0, kEdx, 24, "fxsr", OsState::kNone},
    {1, 0, kEdx, 25, "sse", OsState::kNone},
    {1, 0, kEdx, 26, "sse2", OsState::kNone},
    {1, 0, kEcx, 0, "pni", OsState::kNone},
    {1, 0, kEcx, 1, "pclmulqdq", OsState::kNone},
    {1, 0, kEcx, 9, "ssse3", OsState::kNone},
    {1, 0, kEcx, 12, "fma", OsState::kAvx},
    {1, 0, kEcx, 13, "cx16", OsState::kNone},
    {1, 0, kEcx, 19, "sse4_1", OsState::kNone},
    {1, 0, kEcx, 20, "sse4_2", OsState::kNone},
    {1, 0, kEcx, 22, "movbe", OsState::kNone},
    {1, 0, kEcx, 23, "popcnt", OsState::kNone},
    {1, 0, kEcx, 25, "aes", OsState::kNone},
    {1, 0, kEcx, 26, "xsave", OsState::kNone},
    {1, 0, kEcx, 28, "avx", OsState::kAvx},
    {1, 0, kEcx, 29, "f16c", OsState::kAvx},
    {1, 0, kEcx, 30, "rdrand", OsState::kNone},
    {7, 0, kEbx, 3, "bmi1", OsState::kNone},
    {7, 0, kEbx, 5, "avx2", OsState::kAvx},
    {7, 0, kEbx, 8, "bmi2", OsState::kNone},
    {7, 0, kEbx, 16, "avx512f", OsState::kAvx512},
    {7, 0, kEbx, 17, "avx512dq", OsState::kAvx512},
    {7, 0, kEbx, 18, "rdseed", OsState::kNone},
    {7, 0, kEbx, 19, "adx", OsState::kNone},
    {7, 0, kEbx, 21, "avx512ifma", OsState::kAvx512},
    {7, 0, kEbx, 28, "avx512cd", OsState::kAvx512},
    {7, 0, kEbx, 29, "sha_ni", OsState::kNone},
    {7, 0, kEbx, 30, "avx512bw", OsState::kAvx512},
    {7, 0, kEbx, 31, "avx512vl", OsState::kAvx512},
    {7, 0, kEcx, 1, "avx512vbmi", OsState::kAvx512},
    {7, 0, kEcx, 6, "avx512_vbmi2", OsState::kAvx512},
    {7, 0, kEcx, 8, "gfni", OsState::kNone},
    {7, 0, kEcx, 9, "vaes", OsState::kAvx},
    {7, 0, kEcx, 10, "vpclmulqdq", OsState::kAvx},
    {7, 0, kEcx, 11, "avx512_vnni", OsState::kAvx512},
    {7, 0, kEcx, 12, "avx512_bitalg", OsState::kAvx512},
    {7, 0, kEcx, 14, "avx512_vpopcntdq", OsState::kAvx512},
    {7, 0, kEdx, 8, "avx512_vp2intersect", OsState::kAvx512},
    {7, 0, kEdx, 22, "amx_bf16", OsState::kAmx},
    {7, 0, kEdx, 23, "avx512_fp16", OsState::kAvx512},
    {7, 0, kEdx, 24, "amx_tile", OsState::kAmx},
    {7, 0, kEdx, 25, "amx_int8", OsState::kAmx},
    {7, 1, kEax, 4, "avx_vnni", OsState::kAvx},
    {7, 1, kEax, 5, "avx512_bf16", OsState::kAvx512},
    {0xD, 1, kEax, 0, "xsaveopt", OsState::kNone},
    {0xD, 1, kEax, 1, "xsavec", OsState::kNone},
    {0xD, 1, kEax, 3, "xsaves", OsState::kNone},
    {0x80000001, 0, kEcx, 0, "lahf_lm", OsState::kNone},
    {0x80000001, 0, kEcx, 5, "abm", OsState::kNone},
    {0x80000001, 0, kEcx, 8, "3dnowprefetch", OsState::kNone},
    {0x80000001, 0, kEdx, 11, "syscall", OsState::kNone},
    {0x80000001, 0, kEdx, 29, "lm", OsState::kNone},
};

uint32_t regValue(const Regs& r, Reg reg) {
  switch (reg) {
    case kEax: return r.eax;
    case kEbx: return r.ebx;
    case kEcx: return r.ecx;
    case kEdx: return r.edx;
  }
  return 0;
}
#endif  // __x86_64__

}  // namespace

const FeatureSet& baselineFeatures() {
  static const FeatureSet kBaseline = {"cmov", "cx8",  "fpu", "fxsr",   "lm",
                                       "mmx",  "sse",  "sse2", "syscall"};
  return kBaseline;
}

FeatureSet detectHostFeatures() {
  FeatureSet features;
#if defined(__x86_64__)
  const uint32_t maxLeaf = cpuid(0, 0).eax;
  const uint32_t maxExtLeaf = cpuid(0x80000000, 0).eax;
  const uint32_t maxLeaf7Sub = maxLeaf >= 7 ? cpuid(7, 0).eax : 0;

  const Regs leaf1 = cpuid(1, 0);
  const bool osxsave = (leaf1.ecx >> 27) & 1;
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  // SSE and AVX state (XCR0 bits 1, 2); AVX-512 adds opmask and ZMM (5-7);
  // AMX adds tile config and data (17, 18).
  const bool avxState = (xcr0 & 0x6) == 0x6;
  const bool avx512State = avxState && (xcr0 & 0xE0) == 0xE0;
  const bool amxState = (xcr0 & 0x60000) == 0x60000;

  for (const FeatureBit& f : kFeatureBits) {
    if (f.leaf >= 0x80000000 ? f.leaf > maxExtLeaf : f.leaf > maxLeaf) continue;
    if (f.leaf == 7 && f.subleaf > maxLeaf7Sub) continue;
    if (!((regValue(cpuid(f.leaf, f.subleaf), f.reg) >> f.bit) & 1)) continue;
    if (f.state == OsState::kAvx && !avxState) continue;
    if (f.state == OsState::kAvx512 && !avx512State) continue;
    if (f.state == OsState::kAmx && !amxState) continue;
    features.insert(f.name);
  }
  // The OS must also have turned XSAVE on for xsave itself to be usable.
  if (!osxsave) features.erase("xsave");
#endif
  return features;
}

std::string canonicalFeatureName(const std::string& name) {
  std::string s;
  for (char c : name) {
    if (c == '+' && s.empty()) continue;
    if (c == '-' || c == '.') c = '_';
    s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  static const std::map<std::string, std::string> kAliases = {
      {"sse3", "pni"},
      {"lzcnt", "abm"},
      {"bmi", "bmi1"},
      {"sahf", "lahf_lm"},
      {"prfchw", "3dnowprefetch"},
      {"pclmul", "pclmulqdq"},
      {"sha", "sha_ni"},
      {"avx512vbmi2", "avx512_vbmi2"},
      {"avx512vnni", "avx512_vnni"},
      {"avx512bitalg", "avx512_bitalg"},
      {"avx512vpopcntdq", "avx512_vpopcntdq"},
      {"avx512vp2intersect", "avx512_vp2intersect"},
      {"avx512bf16", "avx512_bf16"},
      {"avx512fp16", "avx512_fp16"},
      {"avxvnni", "avx_vnni"},
      {"cmpxchg16b", "cx16"},
      {"cmpxchg8b", "cx8"},
      {"x87", "fpu"},
      {"64bit", "lm"},
  };
  auto it = kAliases.find(s);
  return it == kAliases.end() ? s : it->second;
}

StatusOr<FeatureSet> applyFeatureOverride(const FeatureSet& detected, const std::string& spec) {
  std::vector<std::string> entries;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    std::string entry = spec.substr(start, end - start);
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (!entry.empty()) entries.push_back(entry);
    start = end + 1;
  }
  const bool edits = !entries.empty() &&
                     std::all_of(entries.begin(), entries.end(), [](const std::string& e) {
                       return e[0] == '+' || e[0] == '-';
                     });
  FeatureSet result = edits ? detected : FeatureSet{};
  for (const std::string& entry : entries) {
    if (!edits && entry[0] == '-')
      return invalidArgument("'" + spec + "' mixes a removal ('" + entry +
                             "') with a plain list; edit with only +/- entries or list every feature");
    const bool remove = edits && entry[0] == '-';
    const std::string name = canonicalFeatureName(edits ? entry.substr(1) : entry);
    if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      return invalidArgument("malformed CPU feature '" + entry + "' in '" + spec + "'");
    if (remove) {
      if (baselineFeatures().count(name))
        return invalidArgument("cannot remove baseline x86-64 feature '" + name + "'");
      result.erase(name);
    } else {
      result.insert(name);
    }
  }
  result.insert(baselineFeatures().begin(), baselineFeatures().end());
  return result;
}

std::string joinFeatures(const std::vector<std::string>& features, const char* separator) {
  std::string s;
  for (const std::string& f : features) {
    if (!s.empty()) s += separator;
    s += f;
  }
  return s;
}

std::string joinFeatures(const FeatureSet& features, const char* separator) {
  return joinFeatures(std::vector<std::string>(features.begin(), features.end()), separator);
}

std::string cpuModelName() {
#if defined(__x86_64__)
  if (cpuid(0x80000000, 0).eax < 0x80000004) return "";
  char brand[49] = {};
  for (uint32_t i = 0; i < 3; ++i) {
    Regs r = cpuid(0x80000002 + i, 0);
    std::memcpy(brand + 16 * i, &r, 16);
  }
  std::string s(brand);
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
#else
  return "";
#endif
}

}  // namespace hexmoe::hal::cpu
