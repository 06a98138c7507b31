// RUN: hexmoe-opt %s | FileCheck %s
// RUN: hexmoe-opt %s | hexmoe-opt | FileCheck %s

// Stacked experts, partial last blocks (300 = 2*128 + 44, 200 = 128 + 72).
// CHECK-LABEL: func.func @experts
// CHECK: moe.dequant %{{.*}}, %{{.*}} block [128, 128] : (tensor<4x300x200xf8E4M3FN>, tensor<4x3x2xf32>) -> tensor<4x300x200xf32>
func.func @experts(%q: tensor<4x300x200xf8E4M3FN>, %s: tensor<4x3x2xf32>) -> tensor<4x300x200xf32> {
  %w = moe.dequant %q, %s block [128, 128] : (tensor<4x300x200xf8E4M3FN>, tensor<4x3x2xf32>) -> tensor<4x300x200xf32>
  return %w : tensor<4x300x200xf32>
}

// CHECK-LABEL: func.func @matrix
// CHECK: moe.dequant %{{.*}}, %{{.*}} block [16, 32]
func.func @matrix(%q: tensor<40x48xf8E4M3FN>, %s: tensor<3x2xf32>) -> tensor<40x48xf32> {
  %w = moe.dequant %q, %s block [16, 32] : (tensor<40x48xf8E4M3FN>, tensor<3x2xf32>) -> tensor<40x48xf32>
  return %w : tensor<40x48xf32>
}
