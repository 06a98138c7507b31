// RUN: hexmoe-opt %s -moe-plan-launches -moe-cpu-generate-kernels | FileCheck %s
// RUN: hexmoe-opt %s -moe-plan-launches -moe-cpu-generate-kernels=vector-width=16 | FileCheck %s --check-prefix=V16
// RUN: not hexmoe-opt %s -moe-plan-launches -moe-cpu-generate-kernels=vector-width=5 2>&1 | FileCheck %s --check-prefix=WIDTH

// Each kernel function becomes a function of the kernel ABI with the same
// name, its binding count, its launch shape and its ABI record (version,
// workgroups, tile, bindings, then per binding element type, rank and
// extents as static/dim/factor); the plan is left alone.
// CHECK: moe.launch_plan @layer
// CHECK-NOT: moe.workload
// CHECK: func.func @layer_0_router(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64) attributes {moe.abi = array<i64: 1, 1, 4, 4, 0, 2, 0, 0, 1, 64, -1, 1, 0, 2, 8, -1, 1, 64, -1, 1, 2, 2, 0, 0, 1, 2, -1, 1, 0, 2, 0, 0, 1, 2, -1, 1>, moe.kernel, moe.num_bindings = 4 : i64, moe.tile = 4 : i64, moe.workgroups = 1 : i64}
// CHECK: func.func @layer_1_sort_by_expert({{.*}} attributes {moe.abi = array<i64: {{.*}}>, moe.kernel, moe.num_bindings = 4 : i64, moe.tile = 0 : i64, moe.workgroups = 1 : i64}
// CHECK: func.func @layer_2_expert_gate_up({{.*}} attributes {moe.abi = array<i64: {{.*}}>, moe.kernel, moe.num_bindings = 6 : i64, moe.tile = 0 : i64, moe.workgroups = 8 : i64}
// The fused gate/up kernel gathers rows through the copy indices and keeps
// vector accumulators: bf16 weights are widened in registers (their bits
// shifted into the high half of an f32), and an expert with 32 token rows
// or more packs its slab into a panel (transposed with shuffles) for the
// outer-product micro-kernel.
// CHECK: arith.cmpi uge, %{{.*}}, %c32
// CHECK: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: arith.bitcast %{{.*}} : vector<8xbf16> to vector<8xi16>
// CHECK: arith.extui %{{.*}} : vector<8xi16> to vector<8xi32>
// CHECK: arith.shli
// CHECK: vector.shuffle
// CHECK: vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: vector.fma %{{.*}} : vector<8xf32>
// CHECK: math.exp
// Workgroups cover 32 output rows of f32 weights, 64 of bf16 (about the same
// bytes): the 64 rows of each expert's down projection are one workgroup.
// CHECK: func.func @layer_3_expert_down({{.*}} moe.workgroups = 8 : i64}
// CHECK: func.func @layer_4_combine({{.*}} moe.tile = 8 : i64, moe.workgroups = 1 : i64}
// V16: vector.fma %{{.*}} : vector<16xf32>
// WIDTH: vector-width must be 4, 8 or 16, got 5
func.func @layer(%h: tensor<?x64xf32> {moe.name = "hidden"}, %r: tensor<8x64xf32>,
                 %g: tensor<8x32x64xbf16>, %u: tensor<8x32x64xbf16>, %d: tensor<8x64x32xbf16>) -> tensor<?x64xf32> {
  %ids, %w = moe.router softmax %h, %r top_k 2 {norm_topk_prob}
      : (tensor<?x64xf32>, tensor<8x64xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  %offsets, %copies, %inverse = moe.sort_by_expert %ids experts 8
      : (tensor<?x2xi32>) -> (tensor<9xi32>, tensor<?xi32>, tensor<?xi32>)
  %a = moe.grouped_gate_up silu %h, %g, %u gather(%copies, %offsets) {top_k = 2 : i64}
      : (tensor<?x64xf32>, tensor<8x32x64xbf16>, tensor<8x32x64xbf16>, tensor<?xi32>, tensor<9xi32>) -> tensor<?x32xf32>
  %y = moe.grouped_down %a, %d offsets %offsets
      : (tensor<?x32xf32>, tensor<8x64x32xbf16>, tensor<9xi32>) -> tensor<?x64xf32>
  %out = moe.combine %y, %inverse, %w : (tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>) -> tensor<?x64xf32>
  return %out : tensor<?x64xf32>
}

// Block-scaled e4m3 weights: each kernel binds the bytes and the scales in
// the weight's place, widens e4m3 through f16 in registers, accumulates a
// block of 32 columns at a time and adds it times its scale (one per block,
// the 2^8 of the f16 widening folded in); 32 rows of 64 bytes: 128 rows a
// workgroup, so the down projection of each expert is one.
// CHECK-LABEL: func.func @fp8_0_linear(
// CHECK-SAME: moe.num_bindings = 4 : i64
// CHECK: vector.load %{{.*}} : memref<?xi8>, vector<8xi8>
// CHECK: arith.extsi %{{.*}} : vector<8xi8> to vector<8xi16>
// CHECK: arith.bitcast %{{.*}} : vector<8xi16> to vector<8xf16>
// CHECK: arith.extf %{{.*}} : vector<8xf16> to vector<8xf32>
// CHECK: memref.load %{{.*}} : memref<?xf32>
// CHECK: arith.constant 2.560000e+02 : f32
// CHECK-LABEL: func.func @fp8_1_expert_gate_up(
// CHECK-SAME: moe.num_bindings = 8 : i64
// CHECK-LABEL: func.func @fp8_2_expert_down(
// CHECK-SAME: moe.num_bindings = 5 : i64, moe.tile = 0 : i64, moe.workgroups = 4 : i64
func.func @fp8(%x: tensor<?x64xf32> {moe.name = "x"}, %ids: tensor<?x2xi32> {moe.name = "ids"},
               %offsets: tensor<5xi32> {moe.name = "offsets"}, %copies: tensor<?xi32> {moe.name = "copies"},
               %q: tensor<64x64xf8E4M3FN> {moe.weight = "w"}, %s: tensor<4x2xf32> {moe.weight = "w_scale_inv"},
               %qg: tensor<4x32x64xf8E4M3FN> {moe.weight = "g"}, %sg: tensor<4x2x2xf32> {moe.weight = "g_scale_inv"},
               %qu: tensor<4x32x64xf8E4M3FN> {moe.weight = "u"}, %su: tensor<4x2x2xf32> {moe.weight = "u_scale_inv"},
               %qd: tensor<4x64x32xf8E4M3FN> {moe.weight = "d"}, %sd: tensor<4x4x1xf32> {moe.weight = "d_scale_inv"})
    -> tensor<?x64xf32> {
  %w = moe.dequant %q, %s block [16, 32] : (tensor<64x64xf8E4M3FN>, tensor<4x2xf32>) -> tensor<64x64xf32>
  %g = moe.dequant %qg, %sg block [16, 32] : (tensor<4x32x64xf8E4M3FN>, tensor<4x2x2xf32>) -> tensor<4x32x64xf32>
  %u = moe.dequant %qu, %su block [16, 32] : (tensor<4x32x64xf8E4M3FN>, tensor<4x2x2xf32>) -> tensor<4x32x64xf32>
  %d = moe.dequant %qd, %sd block [16, 32] : (tensor<4x64x32xf8E4M3FN>, tensor<4x4x1xf32>) -> tensor<4x64x32xf32>
  %y = moe.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %a = moe.grouped_gate_up silu %y, %g, %u gather(%copies, %offsets) {top_k = 2 : i64}
      : (tensor<?x64xf32>, tensor<4x32x64xf32>, tensor<4x32x64xf32>, tensor<?xi32>, tensor<5xi32>) -> tensor<?x32xf32>
  %o = moe.grouped_down %a, %d offsets %offsets
      : (tensor<?x32xf32>, tensor<4x64x32xf32>, tensor<5xi32>) -> tensor<?x64xf32>
  return %o : tensor<?x64xf32>
}
