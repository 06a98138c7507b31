// RUN: hexmoe-opt %s -moe-decompose-layer | FileCheck %s

// CHECK-LABEL: func @deepseek
// CHECK-SAME: (%[[H:.*]]: tensor<?x64xf32>, %[[R:.*]]: tensor<8x64xf32>, %[[B:.*]]: tensor<8xf32>, %[[G:.*]]: tensor<8x32x64xf32>, %[[U:.*]]: tensor<8x32x64xf32>, %[[D:.*]]: tensor<8x64x32xf32>, %[[SG:.*]]: tensor<16x64xf32>, %[[SU:.*]]: tensor<16x64xf32>, %[[SD:.*]]: tensor<64x16xf32>)
// CHECK: %[[IDS:.*]], %[[W:.*]] = moe.router sigmoid %[[H]], %[[R]] bias %[[B]] top_k 2 {n_group = 4 : i64, norm_topk_prob, routed_scaling_factor = 2.500000e+00 : f64, topk_group = 2 : i64} : {{.*}} -> (tensor<?x2xi32>, tensor<?x2xf32>)
// CHECK: %[[ROWS:.*]], %[[OFF:.*]], %[[INV:.*]] = moe.dispatch %[[H]], %[[IDS]] experts 8 : {{.*}} -> (tensor<?x64xf32>, tensor<9xi32>, tensor<?xi32>)
// CHECK: %[[Y:.*]] = moe.expert_ffn silu %[[ROWS]], %[[OFF]], %[[G]], %[[U]], %[[D]]
// CHECK: %[[S:.*]] = moe.ffn silu %[[H]], %[[SG]], %[[SU]], %[[SD]]
// CHECK: %[[OUT:.*]] = moe.combine %[[Y]], %[[INV]], %[[W]] shared %[[S]]
// CHECK: return %[[OUT]]
// CHECK-NOT: moe.layer
func.func @deepseek(%h: tensor<?x64xf32>, %r: tensor<8x64xf32>, %b: tensor<8xf32>,
                    %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>,
                    %sg: tensor<16x64xf32>, %su: tensor<16x64xf32>, %sd: tensor<64x16xf32>) -> tensor<?x64xf32> {
  %0 = moe.layer sigmoid %h, %r bias %b top_k 2 experts(%g, %u, %d) shared(%sg, %su, %sd)
      {n_group = 4 : i64, topk_group = 2 : i64, norm_topk_prob, routed_scaling_factor = 2.5 : f64}
      : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<8xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>,
         tensor<16x64xf32>, tensor<16x64xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// A static token count gives static token-copy extents (N = T*K = 10).
// CHECK-LABEL: func @mixtral_static
// CHECK: moe.router softmax {{.*}} top_k 2 {norm_topk_prob}
// CHECK: moe.dispatch {{.*}} -> (tensor<10x64xf32>, tensor<9xi32>, tensor<10xi32>)
// CHECK: moe.expert_ffn gelu
// CHECK-NOT: moe.ffn
// CHECK: moe.combine %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} :
func.func @mixtral_static(%h: tensor<5x64xf32>, %r: tensor<8x64xf32>, %g: tensor<8x32x64xf32>,
                          %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>) -> tensor<5x64xf32> {
  %0 = moe.layer softmax %h, %r top_k 2 experts(%g, %u, %d) {norm_topk_prob, activation = 1 : i32}
      : (tensor<5x64xf32>, tensor<8x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>) -> tensor<5x64xf32>
  return %0 : tensor<5x64xf32>
}
