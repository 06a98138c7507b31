//===- InitAllTargets.h - every target the build has --------------*- C++ -*-===//
//
// What the tools call so they never name a target (as MLIR's
// InitAllDialects.h): registerAllTargets() for hexmoe-compile's --target,
// registerAllTargetPasses() for hexmoe-opt. A new target adds one line to
// each function (an include and a call)
// and its option to targets/CMakeLists.txt.
//
//===----------------------------------------------------------------------===//
#ifndef HEXMOE_TARGETS_INITALLTARGETS_H
#define HEXMOE_TARGETS_INITALLTARGETS_H

#include "targets/cpu/CpuTarget.h"
#include "targets/cpu/Passes.h"
#ifdef HEXMOE_TARGET_OPENCL
#include "targets/opencl/OpenclTarget.h"
#endif
#ifdef HEXMOE_TARGET_CUDA
#include "targets/cuda/CudaSourceTarget.h"
#include "targets/cuda/CudaTarget.h"
#endif
#ifdef HEXMOE_TARGET_ROCM
#include "targets/rocm/HipSourceTarget.h"
#include "targets/rocm/RocmTarget.h"
#endif

namespace hexmoe {

/// Registers every target backend with the compiler's target registry.
inline void registerAllTargets() {
  cpu::registerCpuTarget();
#ifdef HEXMOE_TARGET_OPENCL
  opencl::registerOpenclTarget();
#endif
#ifdef HEXMOE_TARGET_CUDA
  cuda::registerCudaTarget();
  cuda::registerCudaSourceTarget();
#endif
#ifdef HEXMOE_TARGET_ROCM
  rocm::registerRocmTarget();
  rocm::registerHipSourceTarget();
#endif
}

/// Registers every target's passes and pass pipelines.
inline void registerAllTargetPasses() { cpu::registerCpuTargetPasses(); }

} // namespace hexmoe

#endif // HEXMOE_TARGETS_INITALLTARGETS_H
