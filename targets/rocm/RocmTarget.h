//===- RocmTarget.h - the ROCm HSACO target -------------------------*- C++ -*-===//
#ifndef HEXMOE_TARGETS_ROCM_ROCMTARGET_H
#define HEXMOE_TARGETS_ROCM_ROCMTARGET_H

namespace hexmoe::rocm {

/// Registers the rocm target (an AMDGPU code object per architecture) with the compiler's target registry.
void registerRocmTarget();

} // namespace hexmoe::rocm

#endif // HEXMOE_TARGETS_ROCM_ROCMTARGET_H
