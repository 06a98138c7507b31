// RUN: hexmoe-opt %s | FileCheck %s
// RUN: hexmoe-opt %s | hexmoe-opt | FileCheck %s

// One decoder attention block in the model ops, round-tripped.
// CHECK-LABEL: func.func @attention_block
// CHECK: moe.embedding %{{.*}}, %{{.*}} : (tensor<?xi32>, tensor<32x16xbf16>) -> tensor<?x16xf32>
// CHECK: moe.rms_norm %{{.*}}, %{{.*}} {epsilon = 1.000000e-05 : f64}
// CHECK: moe.linear %{{.*}}, %{{.*}} bias %{{.*}} : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
// CHECK: moe.rms_norm %{{.*}}, %{{.*}} : (tensor<?x16xf32>, tensor<4xf32>) -> tensor<?x16xf32>
// CHECK: moe.rope %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 4 : i64, rope_dim = 4 : i64}
// CHECK: moe.rope %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 4 : i64, interleaved, rope_dim = 2 : i64}
// CHECK: moe.kv_write
// CHECK: moe.attention %{{.*}} {head_dim = 4 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 5.000000e-01 : f64, sliding_window = 3 : i64, v_head_dim = 4 : i64}
// CHECK: moe.add
func.func @attention_block(%ids: tensor<?xi32>, %pos: tensor<?xi32>, %table: tensor<32x16xbf16>,
                           %norm: tensor<16xf32>, %wq: tensor<16x16xf32>, %bq: tensor<16xf32>,
                           %wk: tensor<8x16xf32>, %qn: tensor<4xf32>, %rope: tensor<64x4xf32>,
                           %rope2: tensor<64x2xf32>, %kc: tensor<64x8xf32>, %vc: tensor<64x8xf32>)
    -> tensor<?x16xf32> {
  %x = moe.embedding %ids, %table : (tensor<?xi32>, tensor<32x16xbf16>) -> tensor<?x16xf32>
  %n = moe.rms_norm %x, %norm {epsilon = 1.0e-5 : f64} : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %q = moe.linear %n, %wq bias %bq : (tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %k = moe.linear %n, %wk : (tensor<?x16xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  %qh = moe.rms_norm %q, %qn : (tensor<?x16xf32>, tensor<4xf32>) -> tensor<?x16xf32>
  %qr = moe.rope %qh, %pos, %rope {head_dim = 4 : i64, rope_dim = 4 : i64}
      : (tensor<?x16xf32>, tensor<?xi32>, tensor<64x4xf32>) -> tensor<?x16xf32>
  %kr = moe.rope %k, %pos, %rope2 {head_dim = 4 : i64, rope_dim = 2 : i64, interleaved}
      : (tensor<?x8xf32>, tensor<?xi32>, tensor<64x2xf32>) -> tensor<?x8xf32>
  %kc2 = moe.kv_write %kc, %kr, %pos : (tensor<64x8xf32>, tensor<?x8xf32>, tensor<?xi32>) -> tensor<64x8xf32>
  %vc2 = moe.kv_write %vc, %kr, %pos : (tensor<64x8xf32>, tensor<?x8xf32>, tensor<?xi32>) -> tensor<64x8xf32>
  %o = moe.attention %qr, %kc2, %vc2, %pos {num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64,
      v_head_dim = 4 : i64, scale = 0.5 : f64, sliding_window = 3 : i64}
      : (tensor<?x16xf32>, tensor<64x8xf32>, tensor<64x8xf32>, tensor<?xi32>) -> tensor<?x16xf32>
  %h = moe.add %x, %o : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @mla
// CHECK: moe.mla_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {nope_dim = 4 : i64, num_heads = 2 : i64, scale = 2.500000e-01 : f64, v_dim = 3 : i64}
func.func @mla(%q: tensor<?x12xf32>, %c: tensor<16x5xf32>, %pe: tensor<16x2xf32>, %kvb: tensor<14x5xbf16>,
               %pos: tensor<?xi32>) -> tensor<?x6xf32> {
  %o = moe.mla_attention %q, %c, %pe, %kvb, %pos {num_heads = 2 : i64, nope_dim = 4 : i64, v_dim = 3 : i64, scale = 0.25 : f64}
      : (tensor<?x12xf32>, tensor<16x5xf32>, tensor<16x2xf32>, tensor<14x5xbf16>, tensor<?xi32>) -> tensor<?x6xf32>
  return %o : tensor<?x6xf32>
}

// CHECK-LABEL: func.func @gate
// CHECK: moe.sigmoid_gate %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x8xf32>
func.func @gate(%x: tensor<?x8xf32>, %g: tensor<?x1xf32>) -> tensor<?x8xf32> {
  %o = moe.sigmoid_gate %x, %g : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
