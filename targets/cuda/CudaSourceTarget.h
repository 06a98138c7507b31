//===- CudaSourceTarget.h - the CUDA C++ source target --------------*- C++ -*-===//
#ifndef HEXMOE_TARGETS_CUDA_CUDASOURCETARGET_H
#define HEXMOE_TARGETS_CUDA_CUDASOURCETARGET_H

namespace hexmoe::cuda {

/// Registers the cuda-source target with the compiler's target registry.
void registerCudaSourceTarget();

} // namespace hexmoe::cuda

#endif // HEXMOE_TARGETS_CUDA_CUDASOURCETARGET_H
