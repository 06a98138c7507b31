//===- OpenclTarget.h - the OpenCL C target -------------------------*- C++ -*-===//
#ifndef HEXMOE_TARGETS_OPENCL_OPENCLTARGET_H
#define HEXMOE_TARGETS_OPENCL_OPENCLTARGET_H

namespace hexmoe::opencl {

/// Registers the opencl target with the compiler's target registry.
void registerOpenclTarget();

} // namespace hexmoe::opencl

#endif // HEXMOE_TARGETS_OPENCL_OPENCLTARGET_H
