// RUN: hexmoe-opt %s -moe-cpu-outline-kernels | FileCheck %s
// RUN: hexmoe-opt %s -moe-cpu-outline-kernels=vector-width=16 | FileCheck %s --check-prefix=V16
// RUN: not hexmoe-opt %s -moe-cpu-outline-kernels=vector-width=5 2>&1 | FileCheck %s --check-prefix=WIDTH

// Every tensor gets a buffer with extents in T; every op one dispatch.
// CHECK: module attributes {moe.functions = [{buffers = [
// CHECK-SAME: {index = 0 : i64, kind = "argument", name = "hidden", shape = ["T", "64"], type = f32}
// CHECK-SAME: {index = 2 : i64, kind = "argument", name = "arg2", shape = ["8", "32", "64"], type = bf16}
// CHECK-SAME: {index = 0 : i64, kind = "transient", name = "router.ids.0", shape = ["T", "2"], type = i32}
// CHECK-SAME: {index = 0 : i64, kind = "transient", name = "sort_by_expert.copies.1", shape = ["T*2"], type = i32}
// CHECK-SAME: {index = 0 : i64, kind = "transient", name = "grouped_gate_up.act.2", shape = ["T*2", "32"], type = f32}
// CHECK-SAME: {index = 0 : i64, kind = "result", name = "out", shape = ["T", "64"], type = f32}
// CHECK-SAME: dims = ["T"]
// CHECK-SAME: {bindings = array<i32: 0, 1, 5, 6>, kernel = "layer_0_router", workgroup_dim = 0 : i64, workgroup_tile = 4 : i64, workgroups = 1 : i64}
// CHECK-SAME: {bindings = array<i32: 5, 7, 8, 9>, kernel = "layer_1_sort_by_expert", workgroup_dim = -1 : i64, workgroup_tile = 1 : i64, workgroups = 1 : i64}
// CHECK-SAME: kernel = "layer_2_expert_gate_up", workgroup_dim = -1 : i64, workgroup_tile = 1 : i64, workgroups = 8 : i64}
// CHECK-SAME: kernel = "layer_3_expert_down", workgroup_dim = -1 : i64, workgroup_tile = 1 : i64, workgroups = 16 : i64}
// CHECK-SAME: kernel = "layer_4_combine", workgroup_dim = 0 : i64, workgroup_tile = 8 : i64
// CHECK-SAME: name = "layer"
// CHECK-NOT: func.func @layer(
// CHECK: func.func @layer_0_router(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64) attributes {moe.kernel, moe.num_bindings = 4 : i64}
// CHECK: func.func @layer_2_expert_gate_up
// The fused gate/up kernel gathers rows through the copy indices and keeps
// vector accumulators: bf16 weights are widened in registers.
// CHECK: vector.load %{{.*}} : memref<?xbf16>, vector<8xbf16>
// CHECK: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: vector.fma %{{.*}} : vector<8xf32>
// CHECK: math.exp
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
