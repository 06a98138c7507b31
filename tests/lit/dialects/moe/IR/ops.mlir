// RUN: hexmoe-opt %s | hexmoe-opt | FileCheck %s
// Round trip of every moe op through its custom assembly.

// CHECK-LABEL: func @router
// CHECK: moe.router sigmoid %{{.*}}, %{{.*}} bias %{{.*}} top_k 8 {n_group = 8 : i64, norm_topk_prob, routed_scaling_factor = 2.500000e+00 : f64, topk_group = 4 : i64}
// CHECK: moe.router softmax %{{.*}}, %{{.*}} top_k 2 :
func.func @router(%h: tensor<?x256xf32>, %w: tensor<32x256xf32>, %b: tensor<32xf32>,
                  %w8: tensor<8x256xbf16>) {
  %ids, %weights = moe.router sigmoid %h, %w bias %b top_k 8
      {n_group = 8 : i64, topk_group = 4 : i64, norm_topk_prob, routed_scaling_factor = 2.5 : f64}
      : (tensor<?x256xf32>, tensor<32x256xf32>, tensor<32xf32>) -> (tensor<?x8xi32>, tensor<?x8xf32>)
  %ids2, %weights2 = moe.router softmax %h, %w8 top_k 2
      : (tensor<?x256xf32>, tensor<8x256xbf16>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return
}

// CHECK-LABEL: func @pieces
// CHECK: moe.dispatch %{{.*}}, %{{.*}} experts 8
// CHECK: moe.expert_ffn silu
// CHECK: moe.ffn gelu
// CHECK: moe.combine %{{.*}}, %{{.*}}, %{{.*}} shared %{{.*}} :
func.func @pieces(%h: tensor<?x64xf32>, %ids: tensor<?x2xi32>, %wts: tensor<?x2xf32>,
                  %g: tensor<8x32x64xbf16>, %u: tensor<8x32x64xbf16>, %d: tensor<8x64x32xbf16>,
                  %sg: tensor<16x64xf32>, %su: tensor<16x64xf32>, %sd: tensor<64x16xf32>) -> tensor<?x64xf32> {
  %rows, %offsets, %inverse = moe.dispatch %h, %ids experts 8
      : (tensor<?x64xf32>, tensor<?x2xi32>) -> (tensor<?x64xf32>, tensor<9xi32>, tensor<?xi32>)
  %y = moe.expert_ffn silu %rows, %offsets, %g, %u, %d
      : (tensor<?x64xf32>, tensor<9xi32>, tensor<8x32x64xbf16>, tensor<8x32x64xbf16>, tensor<8x64x32xbf16>) -> tensor<?x64xf32>
  %s = moe.ffn gelu %h, %sg, %su, %sd
      : (tensor<?x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
  %out = moe.combine %y, %inverse, %wts shared %s
      : (tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %out : tensor<?x64xf32>
}

// CHECK-LABEL: func @layer
// CHECK: moe.layer softmax %{{.*}}, %{{.*}} top_k 2 experts(%{{.*}}, %{{.*}}, %{{.*}}) {norm_topk_prob}
// CHECK: moe.layer sigmoid %{{.*}}, %{{.*}} bias %{{.*}} top_k 2 experts(%{{.*}}, %{{.*}}, %{{.*}}) shared(%{{.*}}, %{{.*}}, %{{.*}})
func.func @layer(%h: tensor<5x64xf32>, %r: tensor<8x64xf32>, %b: tensor<8xf32>,
                 %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>,
                 %sg: tensor<16x64xf32>, %su: tensor<16x64xf32>, %sd: tensor<64x16xf32>) {
  %0 = moe.layer softmax %h, %r top_k 2 experts(%g, %u, %d) {norm_topk_prob}
      : (tensor<5x64xf32>, tensor<8x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>) -> tensor<5x64xf32>
  %1 = moe.layer sigmoid %h, %r bias %b top_k 2 experts(%g, %u, %d) shared(%sg, %su, %sd)
      : (tensor<5x64xf32>, tensor<8x64xf32>, tensor<8xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>,
         tensor<16x64xf32>, tensor<16x64xf32>, tensor<64x16xf32>) -> tensor<5x64xf32>
  return
}

// CHECK-LABEL: func @grouped
// CHECK: moe.sort_by_expert %{{.*}} experts 8
// CHECK: moe.grouped_gate_up silu %{{.*}}, %{{.*}}, %{{.*}} gather(%{{.*}}, %{{.*}}) {top_k = 2 : i64}
// CHECK: moe.grouped_down %{{.*}}, %{{.*}} offsets %{{.*}} :
// CHECK: moe.grouped_gate_up silu %{{.*}}, %{{.*}}, %{{.*}} :
// CHECK: moe.grouped_down %{{.*}}, %{{.*}} :
func.func @grouped(%h: tensor<?x64xf32>, %ids: tensor<?x2xi32>,
                   %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>,
                   %sg: tensor<16x64xf32>, %su: tensor<16x64xf32>, %sd: tensor<64x16xf32>) {
  %offsets, %copies, %inverse = moe.sort_by_expert %ids experts 8
      : (tensor<?x2xi32>) -> (tensor<9xi32>, tensor<?xi32>, tensor<?xi32>)
  %a = moe.grouped_gate_up silu %h, %g, %u gather(%copies, %offsets) {top_k = 2 : i64}
      : (tensor<?x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<?xi32>, tensor<9xi32>) -> tensor<?x32xf32>
  %y = moe.grouped_down %a, %d offsets %offsets
      : (tensor<?x32xf32>, tensor<8x64x32xf32>, tensor<9xi32>) -> tensor<?x64xf32>
  %sa = moe.grouped_gate_up silu %h, %sg, %su
      : (tensor<?x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  %sy = moe.grouped_down %sa, %sd
      : (tensor<?x16xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
  return
}
