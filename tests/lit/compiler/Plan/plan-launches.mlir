// RUN: hexmoe-opt %s -moe-plan-launches | FileCheck %s
// RUN: hexmoe-opt %s -moe-plan-launches | hexmoe-opt | FileCheck %s

// Every op moves into a kernel function of its own that covers a workload;
// its operands then its results are the kernel's bindings, each with the
// extents the kernel may index.
// CHECK: func.func private @layer_0_router(%{{.*}}: tensor<?x64xf32>, %{{.*}}: tensor<8x64xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>) attributes {moe.bindings = {{\[}}[#moe.extent<d0>, #moe.extent<64>], [#moe.extent<8>, #moe.extent<64>], [#moe.extent<d0>, #moe.extent<2>], [#moe.extent<d0>, #moe.extent<2>]], moe.workload = #moe.extent<d0>}
// CHECK-NEXT: moe.router softmax
// CHECK: func.func private @layer_1_sort_by_expert({{.*}} attributes {moe.bindings = {{\[}}[#moe.extent<d0>, #moe.extent<2>], [#moe.extent<9>], [#moe.extent<d0 * 2>], [#moe.extent<d0 * 2>]], moe.workload = #moe.extent<d0>}
// CHECK: func.func private @layer_2_expert_gate_up({{.*}} attributes {moe.bindings = {{.*}}, moe.workload = #moe.extent<d0>}
// Token copies: the down projection covers T*2 rows.
// CHECK: func.func private @layer_3_expert_down({{.*}} attributes {moe.bindings = {{.*}}, moe.workload = #moe.extent<d0 * 2>}
// CHECK: func.func private @layer_4_combine(
// One buffer per tensor, extents in T; the function becomes its plan.
// CHECK: moe.launch_plan @layer dims ["T"] {
// CHECK-NEXT: moe.plan.buffer argument 0 "hidden" : f32 [#moe.extent<d0>, #moe.extent<64>]
// CHECK-NEXT: moe.plan.buffer argument 1 "arg1" : f32 [#moe.extent<8>, #moe.extent<64>]
// CHECK-NEXT: moe.plan.buffer argument 2 "arg2" : bf16 [#moe.extent<8>, #moe.extent<32>, #moe.extent<64>]
// CHECK:      moe.plan.buffer transient 0 "router.ids.0" : i32 [#moe.extent<d0>, #moe.extent<2>]
// CHECK:      moe.plan.buffer transient 0 "sort_by_expert.copies.1" : i32 [#moe.extent<d0 * 2>]
// CHECK:      moe.plan.buffer transient 0 "grouped_gate_up.act.2" : f32 [#moe.extent<d0 * 2>, #moe.extent<32>]
// CHECK:      moe.plan.buffer result 0 "out" : f32 [#moe.extent<d0>, #moe.extent<64>]
// CHECK-NEXT: moe.plan.dispatch @layer_0_router([0, 1, 5, 6]) over <d0>
// CHECK-NEXT: moe.plan.dispatch @layer_1_sort_by_expert([5, 7, 8, 9]) over <d0>
// CHECK-NEXT: moe.plan.dispatch @layer_2_expert_gate_up([0, 2, 3, 8, 7, 10]) over <d0>
// CHECK-NEXT: moe.plan.dispatch @layer_3_expert_down([10, 4, 7, 11]) over <d0 * 2>
// CHECK-NEXT: moe.plan.dispatch @layer_4_combine([11, 9, 6, 12]) over <d0>
// CHECK-NOT: func.func @layer(
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

// Arguments marked moe.weight become weight buffers named by the checkpoint
// tensor, numbered among the weights; the others are renumbered from 0.
// CHECK-LABEL: moe.launch_plan @weights dims ["T"] {
// CHECK-NEXT: moe.plan.buffer argument 0 "hidden" : f32 [#moe.extent<d0>, #moe.extent<64>]
// CHECK-NEXT: moe.plan.buffer weight 0 "model.layers.0.mlp.gate.weight" : f32 [#moe.extent<8>, #moe.extent<64>]
// CHECK-NEXT: moe.plan.buffer weight 1 "gate_up" : bf16 [#moe.extent<8>, #moe.extent<32>, #moe.extent<64>]
// CHECK-NEXT: moe.plan.buffer argument 1 "arg3" : bf16 [#moe.extent<8>, #moe.extent<32>, #moe.extent<64>]
func.func @weights(%h: tensor<?x64xf32> {moe.name = "hidden"},
                   %r: tensor<8x64xf32> {moe.weight = "model.layers.0.mlp.gate.weight"},
                   %g: tensor<8x32x64xbf16> {moe.weight = "gate_up"}, %u: tensor<8x32x64xbf16>,
                   %d: tensor<8x64x32xbf16> {moe.weight = "down"}) -> tensor<?x64xf32> {
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

// A KV-cache write is in place: its result is the cache argument's buffer, so
// attention binds the caller's cache, and the dispatch binds it twice.
// CHECK-LABEL: moe.launch_plan @cache dims ["T"] {
// CHECK-NEXT: moe.plan.buffer argument 0 "q" : f32 [#moe.extent<d0>, #moe.extent<8>]
// CHECK-NEXT: moe.plan.buffer argument 1 "k_cache" : f32 [#moe.extent<16>, #moe.extent<8>]
// CHECK-NEXT: moe.plan.buffer argument 2 "positions" : i32 [#moe.extent<d0>]
// CHECK-NEXT: moe.plan.buffer result 0 "out" : f32 [#moe.extent<d0>, #moe.extent<8>]
// CHECK-NEXT: moe.plan.dispatch @cache_0_kv_write([1, 0, 2, 1]) over <d0>
// CHECK-NEXT: moe.plan.dispatch @cache_1_attention([0, 1, 1, 2, 3]) over <d0 * 2>
func.func @cache(%q: tensor<?x8xf32> {moe.name = "q"}, %kc: tensor<16x8xf32> {moe.name = "k_cache"},
                 %pos: tensor<?xi32> {moe.name = "positions"}) -> tensor<?x8xf32> {
  %kc2 = moe.kv_write %kc, %q, %pos : (tensor<16x8xf32>, tensor<?x8xf32>, tensor<?xi32>) -> tensor<16x8xf32>
  %o = moe.attention %q, %kc2, %kc2, %pos {num_heads = 2 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64,
      v_head_dim = 4 : i64, scale = 0.5 : f64}
      : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// moe.dequant has no kernel: each user's kernel binds the quantized weight
// and its scales in the weight's place and holds the dequant before its op.
// CHECK-LABEL: func.func private @fp8_0_linear(%{{.*}}: tensor<?x64xf32>, %{{.*}}: tensor<8x64xf8E4M3FN>, %{{.*}}: tensor<1x1xf32>) -> tensor<?x8xf32>
// CHECK-NEXT: %[[W:.*]] = moe.dequant %arg1, %arg2 block [128, 128]
// CHECK-NEXT: moe.linear %arg0, %[[W]]
// CHECK: func.func private @fp8_1_linear(%{{.*}}: tensor<?x8xf32>, %{{.*}}: tensor<4x8xf8E4M3FN>, %{{.*}}: tensor<1x1xf32>) -> tensor<?x4xf32>
// CHECK-LABEL: moe.launch_plan @fp8 dims ["T"] {
// CHECK-NEXT: moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>, #moe.extent<64>]
// CHECK-NEXT: moe.plan.buffer weight 0 "w1" : f8E4M3FN [#moe.extent<8>, #moe.extent<64>]
// CHECK-NEXT: moe.plan.buffer weight 1 "w1_scale_inv" : f32 [#moe.extent<1>, #moe.extent<1>]
// CHECK-NEXT: moe.plan.buffer weight 2 "w2" : f8E4M3FN [#moe.extent<4>, #moe.extent<8>]
// CHECK-NEXT: moe.plan.buffer weight 3 "w2_scale_inv" : f32 [#moe.extent<1>, #moe.extent<1>]
// CHECK-NEXT: moe.plan.buffer transient 0 "linear.out.0" : f32 [#moe.extent<d0>, #moe.extent<8>]
// CHECK-NEXT: moe.plan.buffer result 0 "out" : f32 [#moe.extent<d0>, #moe.extent<4>]
// CHECK-NEXT: moe.plan.dispatch @fp8_0_linear([0, 1, 2, 5]) over <d0>
// CHECK-NEXT: moe.plan.dispatch @fp8_1_linear([5, 3, 4, 6]) over <d0>
func.func @fp8(%x: tensor<?x64xf32> {moe.name = "x"},
               %q1: tensor<8x64xf8E4M3FN> {moe.weight = "w1"}, %s1: tensor<1x1xf32> {moe.weight = "w1_scale_inv"},
               %q2: tensor<4x8xf8E4M3FN> {moe.weight = "w2"}, %s2: tensor<1x1xf32> {moe.weight = "w2_scale_inv"})
    -> tensor<?x4xf32> {
  %w1 = moe.dequant %q1, %s1 block [128, 128] : (tensor<8x64xf8E4M3FN>, tensor<1x1xf32>) -> tensor<8x64xf32>
  %w2 = moe.dequant %q2, %s2 block [128, 128] : (tensor<4x8xf8E4M3FN>, tensor<1x1xf32>) -> tensor<4x8xf32>
  %y = moe.linear %x, %w1 : (tensor<?x64xf32>, tensor<8x64xf32>) -> tensor<?x8xf32>
  %z = moe.linear %y, %w2 : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %z : tensor<?x4xf32>
}
