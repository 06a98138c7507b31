// RUN: hexmoe-opt %s | FileCheck %s
// RUN: hexmoe-opt %s | hexmoe-opt | FileCheck %s
// RUN: hexmoe-opt %s -mlir-print-op-generic | hexmoe-opt | FileCheck %s

// A launch plan round-trips: extents static, dynamic, and scaled.
// CHECK-LABEL: moe.launch_plan @scale dims ["T", "U"] {
// CHECK-NEXT: moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>, #moe.extent<4>]
// CHECK-NEXT: moe.plan.buffer argument 1 "y" : bf16 [#moe.extent<d1 * 3>]
// CHECK-NEXT: moe.plan.buffer transient 0 "tmp" : i32 [#moe.extent<d0 * 2>]
// CHECK-NEXT: moe.plan.buffer result 0 "out" : f32 [#moe.extent<d0>, #moe.extent<4>]
// CHECK-NEXT: moe.plan.dispatch @k0([0, 2]) over <d0 * 2>
// CHECK-NEXT: moe.plan.dispatch @k1([2, 1, 3]) over <7>
func.func private @k0()
func.func private @k1()
moe.launch_plan @scale dims ["T", "U"] {
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>, #moe.extent<4>]
  moe.plan.buffer argument 1 "y" : bf16 [#moe.extent<d1 * 3>]
  moe.plan.buffer transient 0 "tmp" : i32 [#moe.extent<d0 * 2>]
  moe.plan.buffer result 0 "out" : f32 [#moe.extent<d0>, #moe.extent<4>]
  moe.plan.dispatch @k0([0, 2]) over #moe.extent<d0 * 2>
  moe.plan.dispatch @k1([2, 1, 3]) over <7>
}
