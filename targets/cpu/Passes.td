//===- Passes.td - cpu target passes -----------------------*- tablegen -*-===//
#ifndef HEXMOE_TARGETS_CPU_PASSES
#define HEXMOE_TARGETS_CPU_PASSES

include "mlir/Pass/PassBase.td"

def MoECpuGenerateKernels : Pass<"moe-cpu-generate-kernels", "::mlir::ModuleOp"> {
  let summary = "turns the kernel functions of moe-plan-launches into CPU kernels";
  let description = [{
    Replaces every kernel function (a `func.func` marked `moe.workload` that
    holds one kernel-level moe op: `moe.router`, `moe.sort_by_expert`,
    `moe.grouped_gate_up`, `moe.grouped_down`, `moe.combine`) by a function
    of the same name with the ABI of runtime/schema/kernel_abi.h:
    vectorised scf/vector code on flat memrefs, one binding per operand
    and result of the op, in that order. Each records `moe.num_bindings`
    and its launch shape, `moe.workgroups` and `moe.tile` (workgroups =
    moe.workgroups * ceil(workload / moe.tile), or moe.workgroups when the
    tile is 0).
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "f32 lanes per vector register: 8 (AVX2) or 16 (AVX-512)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::func::FuncDialect"
  ];
}

def MoECpuApproximateMath : Pass<"moe-cpu-approximate-math"> {
  let summary = "replaces exp and erf by vectorisable polynomial approximations";
  let description = [{
    libm's expf and erff are scalar calls: inside the expert kernels one call
    per SwiGLU/GELU element costs as much as the projections themselves. This
    pass rewrites `math.exp` and `math.erf` (scalar or vector f32) into
    MLIR's polynomial approximations (range reduction plus a polynomial,
    within a few ulp), which stay in vector registers.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

#endif // HEXMOE_TARGETS_CPU_PASSES
