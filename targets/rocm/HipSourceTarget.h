//===- HipSourceTarget.h - the HIP C++ source target --------------*- C++ -*-===//
#ifndef HEXMOE_TARGETS_ROCM_HIPSOURCETARGET_H
#define HEXMOE_TARGETS_ROCM_HIPSOURCETARGET_H

namespace hexmoe::rocm {

/// Registers the hip-source target with the compiler's target registry.
void registerHipSourceTarget();

} // namespace hexmoe::rocm

#endif // HEXMOE_TARGETS_ROCM_HIPSOURCETARGET_H
