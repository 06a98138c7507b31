// RUN: hexmoe-opt %s -moe-cpu-approximate-math | FileCheck %s

// exp and erf become polynomial approximations that stay in vector registers;
// nothing is left for a scalar libm call.
// CHECK-LABEL: func @silu
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : vector<4xf32>
// CHECK: math.floor {{.*}} : vector<4xf32>
func.func @silu(%x: vector<4xf32>) -> vector<4xf32> {
  %one = arith.constant dense<1.0> : vector<4xf32>
  %n = arith.negf %x : vector<4xf32>
  %e = math.exp %n : vector<4xf32>
  %d = arith.addf %e, %one : vector<4xf32>
  %s = arith.divf %x, %d : vector<4xf32>
  return %s : vector<4xf32>
}

// CHECK-LABEL: func @gelu
// CHECK-NOT: math.erf
// CHECK: return
func.func @gelu(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.erf %x : vector<16xf32>
  return %e : vector<16xf32>
}
