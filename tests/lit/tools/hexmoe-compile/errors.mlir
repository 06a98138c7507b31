// RUN: not hexmoe-compile %s -o %t.hxm 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not hexmoe-compile %examples/mixtral_layer.mlir --target=tpu -o %t.hxm 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not hexmoe-compile %examples/mixtral_layer.mlir --target=cpu:x86-64-v9 -o %t.hxm 2>&1 | FileCheck %s --check-prefix=VARIANT
// RUN: not hexmoe-compile %examples/mixtral_layer.mlir --weight-type=f16 -o %t.hxm 2>&1 | FileCheck %s --check-prefix=WTYPE
// RUN: not hexmoe-compile %examples/mixtral_layer.mlir --weight-type=int8 -o %t.hxm 2>&1 | FileCheck %s --check-prefix=WTYPE8
// RUN: not hexmoe-compile %t.does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING

// WTYPE8: hexmoe-compile: --weight-type must be f32 or bf16 (fp8 and int8 quantise a model directory), got 'int8'

// Malformed MLIR is reported with its file, line and column.
// PARSE: errors.mlir:[[@LINE+6]]:{{[0-9]+}}: error: 'moe.router' op 'weight' must be [E=8, H=32], got 'tensor<8x64xf32>'
// TARGET: error: unknown target 'tpu' (known: cpu{{(, [a-z-]+)*}})
// VARIANT: error: unknown cpu variant 'x86-64-v9' (expected x86-64-v3, x86-64-v4 or native)
// WTYPE: hexmoe-compile: --weight-type must be f32 or bf16 (fp8 and int8 quantise a model directory), got 'f16'
// MISSING: hexmoe-compile: cannot open input file '{{.*}}does-not-exist.mlir'
func.func @bad(%h: tensor<?x32xf32>, %w: tensor<8x64xf32>) {
  %ids, %wts = moe.router softmax %h, %w top_k 2
      : (tensor<?x32xf32>, tensor<8x64xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return
}
