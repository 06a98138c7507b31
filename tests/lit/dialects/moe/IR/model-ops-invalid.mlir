// RUN: hexmoe-opt %s -split-input-file -verify-diagnostics

func.func @embedding_width(%ids: tensor<?xi32>, %t: tensor<32x16xf32>) {
  // expected-error @+1 {{'out' must be [T, H=16], got 'tensor<?x8xf32>'}}
  %x = moe.embedding %ids, %t : (tensor<?xi32>, tensor<32x16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @norm_groups(%x: tensor<?x16xf32>, %w: tensor<5xf32>) {
  // expected-error @+1 {{'weight' [G=5] must divide the 16 columns of 'input' into groups}}
  %n = moe.rms_norm %x, %w : (tensor<?x16xf32>, tensor<5xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @linear_k(%x: tensor<?x16xf32>, %w: tensor<8x12xf32>) {
  // expected-error @+1 {{'weight' must be [N, K=16], got 'tensor<8x12xf32>'}}
  %y = moe.linear %x, %w : (tensor<?x16xf32>, tensor<8x12xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'bias' must be [N=8], got 'tensor<16xf32>'}}
  %y = moe.linear %x, %w bias %b : (tensor<?x16xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @add_rows(%a: tensor<3x16xf32>, %b: tensor<4x16xf32>) {
  // expected-error @+1 {{'lhs' has 3 rows, 'rhs' 4}}
  %y = moe.add %a, %b : (tensor<3x16xf32>, tensor<4x16xf32>) -> tensor<3x16xf32>
  return
}

// -----

func.func @rope_dim(%x: tensor<?x16xf32>, %p: tensor<?xi32>, %t: tensor<8x6xf32>) {
  // expected-error @+1 {{rope_dim 6 must be even and at most head_dim 4}}
  %y = moe.rope %x, %p, %t {head_dim = 4 : i64, rope_dim = 6 : i64}
      : (tensor<?x16xf32>, tensor<?xi32>, tensor<8x6xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @rope_table(%x: tensor<?x16xf32>, %p: tensor<?xi32>, %t: tensor<8x2xf32>) {
  // expected-error @+1 {{'table' must be [P, R=4] (cosines then sines), got 'tensor<8x2xf32>'}}
  %y = moe.rope %x, %p, %t {head_dim = 4 : i64, rope_dim = 4 : i64}
      : (tensor<?x16xf32>, tensor<?xi32>, tensor<8x2xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @kv_width(%c: tensor<64x8xf32>, %r: tensor<?x4xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'rows' must be [T, C=8], got 'tensor<?x4xf32>'}}
  %y = moe.kv_write %c, %r, %p : (tensor<64x8xf32>, tensor<?x4xf32>, tensor<?xi32>) -> tensor<64x8xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<?x16xf32>, %k: tensor<64x12xf32>, %v: tensor<64x12xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{num_kv_heads 3 must divide num_heads 4}}
  %o = moe.attention %q, %k, %v, %p {num_heads = 4 : i64, num_kv_heads = 3 : i64, head_dim = 4 : i64,
      v_head_dim = 4 : i64, scale = 0.5 : f64}
      : (tensor<?x16xf32>, tensor<64x12xf32>, tensor<64x12xf32>, tensor<?xi32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @attention_cache(%q: tensor<?x16xf32>, %k: tensor<64x8xf32>, %v: tensor<32x8xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'v_cache' must be [S=64, num_kv_heads*v_head_dim=8], got 'tensor<32x8xf32>'}}
  %o = moe.attention %q, %k, %v, %p {num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64,
      v_head_dim = 4 : i64, scale = 0.5 : f64}
      : (tensor<?x16xf32>, tensor<64x8xf32>, tensor<32x8xf32>, tensor<?xi32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @mla_kv_b(%q: tensor<?x12xf32>, %c: tensor<16x5xf32>, %pe: tensor<16x2xf32>, %kvb: tensor<12x5xf32>,
                    %pos: tensor<?xi32>) {
  // expected-error @+1 {{'kv_b' must be [num_heads*(nope_dim+v_dim)=14, L=5], got 'tensor<12x5xf32>'}}
  %o = moe.mla_attention %q, %c, %pe, %kvb, %pos {num_heads = 2 : i64, nope_dim = 4 : i64, v_dim = 3 : i64, scale = 0.25 : f64}
      : (tensor<?x12xf32>, tensor<16x5xf32>, tensor<16x2xf32>, tensor<12x5xf32>, tensor<?xi32>) -> tensor<?x6xf32>
  return
}

// -----

func.func @gate_width(%x: tensor<?x8xf32>, %g: tensor<?x2xf32>) {
  // expected-error @+1 {{'gate' must be [T, 1=1], got 'tensor<?x2xf32>'}}
  %o = moe.sigmoid_gate %x, %g : (tensor<?x8xf32>, tensor<?x2xf32>) -> tensor<?x8xf32>
  return
}
