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
// vector accumulators: bf16 weights are widened in registers.
// CHECK: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: vector.fma %{{.*}} : vector<8xf32>
// CHECK: math.exp
// CHECK: func.func @layer_3_expert_down({{.*}} moe.workgroups = 16 : i64}
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
