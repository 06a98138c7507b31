//===- OpenclKernels.h - OpenCL C for the kernel-level moe ops ------*- C++ -*-===//
//
// One emitter per kernel-level moe op. Each writes an OpenCL C kernel of the
// opencl driver's ABI (docs/runtime.md, "OpenCL"): one `__global` pointer per
// binding (the op's operands, then its results), then `__global const long*
// dims`, the function's dynamic sizes. The driver runs one work-item per
// workgroup of the launch plan, so get_global_id(0) is the workgroup id.
//
//===----------------------------------------------------------------------===//
#ifndef HEXMOE_TARGETS_OPENCL_OPENCLKERNELS_H
#define HEXMOE_TARGETS_OPENCL_OPENCLKERNELS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>

namespace hexmoe::opencl {

/// How an emitted kernel is launched: `workgroups` * ceil(W / tile)
/// work-items over workload W, or `workgroups` when tile is 0.
struct KernelLaunch {
  int64_t workgroups = 1;
  int64_t tile = 0;
};

/// Appends the OpenCL C kernel for the kernel function `f` of the launch plan
/// (a func.func marked moe.workload holding one moe op) to `source`, named as
/// `f`. Fails with a diagnostic on an op the target does not support.
mlir::FailureOr<KernelLaunch> emitKernel(mlir::func::FuncOp f, std::string &source);

/// What every program starts with: the helpers the kernels share.
const char *programPrelude();

} // namespace hexmoe::opencl

#endif // HEXMOE_TARGETS_OPENCL_OPENCLKERNELS_H
