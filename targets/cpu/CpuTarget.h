//===- CpuTarget.h - the x86-64 CPU target --------------------------*- C++ -*-===//
#ifndef HEXMOE_TARGETS_CPU_CPUTARGET_H
#define HEXMOE_TARGETS_CPU_CPUTARGET_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace hexmoe::cpu {

/// Registers the cpu target with the compiler's target registry.
void registerCpuTarget();

/// An ISA level the cpu target compiles for.
struct IsaLevel {
  std::string name;                  ///< "x86-64-v3", "x86-64-v4", "native:<cpu>"
  std::string format;                ///< the artifact's executable format
  std::string llvmCpu;               ///< CPU name for LLVM
  std::string llvmFeatures;          ///< extra LLVM features ("+avx512f,...")
  std::vector<std::string> required; ///< /proc/cpuinfo names the code needs
  int64_t vectorWidth;               ///< f32 lanes per vector register
};

/// The level for `name` ("x86-64-v3", "x86-64-v4", "native"); false if unknown.
bool lookupIsaLevel(llvm::StringRef name, IsaLevel &level);

} // namespace hexmoe::cpu

#endif // HEXMOE_TARGETS_CPU_CPUTARGET_H
