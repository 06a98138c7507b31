// RUN: hexmoe-opt %s -moe-fuse-experts | FileCheck %s
// RUN: hexmoe-opt %s -moe-fuse-experts -mlir-print-op-generic 2>&1 | FileCheck %s --check-prefix=NODISPATCH

// The permuted rows are never materialised: gate/up reads `hidden` through
// the sorted copy indices.
// CHECK-LABEL: func @fuse
// CHECK-SAME: (%[[H:[^:]*]]: tensor<?x64xf32>, %[[IDS:[^:]*]]: tensor<?x2xi32>, %[[W:[^:]*]]: tensor<?x2xf32>, %[[G:[^:]*]]: tensor<8x32x64xf32>, %[[U:[^:]*]]: tensor<8x32x64xf32>, %[[D:[^:]*]]: tensor<8x64x32xf32>, %[[SG:[^:]*]]: tensor<16x64xf32>, %[[SU:[^:]*]]: tensor<16x64xf32>, %[[SD:[^:]*]]: tensor<64x16xf32>)
// CHECK: %[[OFF:.*]], %[[COPIES:.*]], %[[INV:.*]] = moe.sort_by_expert %[[IDS]] experts 8
// CHECK: %[[A:.*]] = moe.grouped_gate_up silu %[[H]], %[[G]], %[[U]] gather(%[[COPIES]], %[[OFF]]) {top_k = 2 : i64} : {{.*}} -> tensor<?x32xf32>
// CHECK: %[[Y:.*]] = moe.grouped_down %[[A]], %[[D]] offsets %[[OFF]] : {{.*}} -> tensor<?x64xf32>
// CHECK: %[[SA:.*]] = moe.grouped_gate_up silu %[[H]], %[[SG]], %[[SU]] : {{.*}} -> tensor<?x16xf32>
// CHECK: %[[SY:.*]] = moe.grouped_down %[[SA]], %[[SD]] : {{.*}} -> tensor<?x64xf32>
// CHECK: moe.combine %[[Y]], %[[INV]], %[[W]] shared %[[SY]]
// NODISPATCH-NOT: "moe.dispatch"
// NODISPATCH-NOT: "moe.expert_ffn"
func.func @fuse(%h: tensor<?x64xf32>, %ids: tensor<?x2xi32>, %w: tensor<?x2xf32>,
                %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>,
                %sg: tensor<16x64xf32>, %su: tensor<16x64xf32>, %sd: tensor<64x16xf32>) -> tensor<?x64xf32> {
  %rows, %offsets, %inverse = moe.dispatch %h, %ids experts 8
      : (tensor<?x64xf32>, tensor<?x2xi32>) -> (tensor<?x64xf32>, tensor<9xi32>, tensor<?xi32>)
  %y = moe.expert_ffn silu %rows, %offsets, %g, %u, %d
      : (tensor<?x64xf32>, tensor<9xi32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>) -> tensor<?x64xf32>
  %s = moe.ffn silu %h, %sg, %su, %sd
      : (tensor<?x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
  %out = moe.combine %y, %inverse, %w shared %s
      : (tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %out : tensor<?x64xf32>
}
