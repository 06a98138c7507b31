//===- Passes.td - cpu target passes -----------------------*- tablegen -*-===//
#ifndef HEXMOE_TARGETS_CPU_PASSES
#define HEXMOE_TARGETS_CPU_PASSES

include "mlir/Pass/PassBase.td"

def MoECpuOutlineKernels : Pass<"moe-cpu-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "turns functions of grouped moe ops into CPU kernels and a launch plan";
  let description = [{
    For every function whose body is a sequence of kernel-level moe ops
    (`moe.router`, `moe.sort_by_expert`, `moe.grouped_gate_up`,
    `moe.grouped_down`, `moe.combine`), assigns one buffer to each tensor
    (function arguments, results, and transients whose extents are static or
    a multiple of the dynamic token count T), emits one kernel function per
    op with the ABI of runtime/schema/kernel_abi.h (vectorised scf/vector code
    on flat memrefs), and replaces the function by an entry of the module's
    `moe.functions` attribute: its buffers and ordered dispatches.
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
