// RUN: hexmoe-opt %examples/mixtral_layer.mlir -moe-decompose-layer -moe-fuse-experts -moe-plan-launches -moe-cpu-generate-kernels -moe-cpu-lower-to-llvm | FileCheck %s --check-prefix=AVX2
// RUN: hexmoe-opt %examples/mixtral_layer.mlir -moe-decompose-layer -moe-fuse-experts -moe-plan-launches -moe-cpu-generate-kernels=vector-width=16 -moe-cpu-lower-to-llvm | FileCheck %s --check-prefix=AVX512
// RUN: hexmoe-opt %examples/deepseek_v3_layer.mlir -moe-decompose-layer -moe-fuse-experts -moe-plan-launches -moe-cpu-generate-kernels -moe-cpu-lower-to-llvm | FileCheck %s --check-prefix=NOLIBM

// Kernels lower completely to the LLVM dialect with the ABI of kernel_abi.h,
// and the expert loops keep fused multiply-adds on full vector registers.
// AVX2: llvm.func @mixtral_layer_2_expert_gate_up(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// AVX2-NOT: memref.
// AVX2: llvm.intr.fmuladd{{.*}}vector<8xf32>
// AVX2: llvm.func @mixtral_layer_3_expert_down
// AVX2: llvm.intr.fmuladd{{.*}}vector<8xf32>
// AVX512: llvm.intr.fmuladd{{.*}}vector<16xf32>
// Activations and router scores use vector polynomial math, not scalar libm calls.
// NOLIBM: llvm.func @deepseek_v3_layer_0_router
// NOLIBM-NOT: llvm.call
// NOLIBM: llvm.func @deepseek_v3_layer_6_combine
