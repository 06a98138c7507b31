//===- CudaTarget.h - the CUDA PTX target ---------------------------*- C++ -*-===//
#ifndef HEXMOE_TARGETS_CUDA_CUDATARGET_H
#define HEXMOE_TARGETS_CUDA_CUDATARGET_H

namespace hexmoe::cuda {

/// Registers the cuda target (PTX per architecture) with the compiler's target registry.
void registerCudaTarget();

} // namespace hexmoe::cuda

#endif // HEXMOE_TARGETS_CUDA_CUDATARGET_H
