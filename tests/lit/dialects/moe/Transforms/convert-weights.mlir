// RUN: hexmoe-opt %s -moe-convert-weights | FileCheck %s
// RUN: not hexmoe-opt %s -moe-convert-weights=type=f16 2>&1 | FileCheck %s --check-prefix=BAD

// Expert weights (routed and shared) become bf16; the router weight, the
// activations and an argument with another use stay f32.
// CHECK-LABEL: func @layer
// CHECK-SAME: tensor<?x64xf32>, %{{.*}}: tensor<8x64xf32>, %{{.*}}: tensor<8x32x64xbf16>, %{{.*}}: tensor<8x32x64xbf16>, %{{.*}}: tensor<8x64x32xbf16>, %{{.*}}: tensor<16x64xbf16>, %{{.*}}: tensor<16x64xbf16>, %{{.*}}: tensor<64x16xbf16>, %{{.*}}: tensor<8x32x64xf32>) -> (tensor<?x64xf32>, tensor<8x32x64xf32>)
// BAD: moe-convert-weights: unsupported type 'f16' (expected bf16 or f32)
func.func @layer(%h: tensor<?x64xf32>, %r: tensor<8x64xf32>, %g: tensor<8x32x64xf32>,
                 %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>,
                 %sg: tensor<16x64xf32>, %su: tensor<16x64xf32>, %sd: tensor<64x16xf32>,
                 %other: tensor<8x32x64xf32>) -> (tensor<?x64xf32>, tensor<8x32x64xf32>) {
  %0 = moe.layer softmax %h, %r top_k 2 experts(%g, %u, %d) shared(%sg, %su, %sd)
      : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>,
         tensor<16x64xf32>, tensor<16x64xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
  %1 = moe.layer softmax %h, %r top_k 2 experts(%other, %u, %d)
      : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>) -> tensor<?x64xf32>
  return %0, %other : tensor<?x64xf32>, tensor<8x32x64xf32>
}
