// RUN: hexmoe-opt %s -split-input-file -moe-plan-launches -verify-diagnostics

func.func @unfused(%h: tensor<?x64xf32>, %r: tensor<8x64xf32>, %g: tensor<8x32x64xf32>,
                   %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{must be lowered to grouped kernel ops before moe-plan-launches (run moe-decompose-layer and moe-fuse-experts first)}}
  %0 = moe.layer softmax %h, %r top_k 2 experts(%g, %u, %d)
      : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @passthrough(%h: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{result 0 must be produced by a moe op of this function}}
  return %h : tensor<?x64xf32>
}

// -----

func.func @foreign(%h: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'arith.addf' op has no kernel: it cannot be part of a launch plan}}
  %0 = arith.addf %h, %h : tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

// expected-error @+1 {{argument 1 is weight 'w', which must have a static shape, got 'tensor<?x64xf32>'}}
func.func @dynamic_weight(%h: tensor<?x64xf32>, %r: tensor<?x64xf32> {moe.weight = "w"}) -> tensor<?x64xf32> {
  return %h : tensor<?x64xf32>
}

// -----

func.func @cache_of_an_op(%x: tensor<?x8xf32>, %pos: tensor<?xi32>, %ids: tensor<8xi32>, %t: tensor<4x8xf32>) -> tensor<8x8xf32> {
  %c = moe.embedding %ids, %t : (tensor<8xi32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  // expected-error @+1 {{writes its cache in place: the cache must be an argument of the function (not a weight or another op's result)}}
  %k = moe.kv_write %c, %x, %pos : (tensor<8x8xf32>, tensor<?x8xf32>, tensor<?xi32>) -> tensor<8x8xf32>
  return %k : tensor<8x8xf32>
}

// -----

func.func @cache_used_twice(%x: tensor<?x8xf32>, %pos: tensor<?xi32>, %kc: tensor<8x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{must be the only use of its cache argument (later ops read its result)}}
  %k = moe.kv_write %kc, %x, %pos : (tensor<8x8xf32>, tensor<?x8xf32>, tensor<?xi32>) -> tensor<8x8xf32>
  %o = moe.attention %x, %kc, %k, %pos {num_heads = 2 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64,
      v_head_dim = 4 : i64, scale = 0.5 : f64}
      : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// -----

// A dequantised weight feeds only kernels that read its format.
func.func @dequant_into_router(%h: tensor<?x64xf32>, %q: tensor<8x64xf8E4M3FN> {moe.weight = "r"},
                               %s: tensor<1x1xf32> {moe.weight = "r_scale_inv"}) -> tensor<?x2xf32> {
  // expected-error @+1 {{is used by moe.router (operand 1), whose kernel does not read quantized weights; its users must be the weights of moe.linear, moe.mla_attention (kv_b), moe.grouped_gate_up or moe.grouped_down}}
  %r = moe.dequant %q, %s block [128, 128] : (tensor<8x64xf8E4M3FN>, tensor<1x1xf32>) -> tensor<8x64xf32>
  %ids, %w = moe.router softmax %h, %r top_k 2
      : (tensor<?x64xf32>, tensor<8x64xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return %w : tensor<?x2xf32>
}

// -----

func.func @dequant_of_an_argument(%h: tensor<?x64xf32>, %q: tensor<8x64xf8E4M3FN>,
                                  %s: tensor<1x1xf32> {moe.weight = "w_scale_inv"}) -> tensor<?x8xf32> {
  // expected-error @+1 {{dequantises weights: its operands must be weight arguments of the function (moe.weight)}}
  %w = moe.dequant %q, %s block [128, 128] : (tensor<8x64xf8E4M3FN>, tensor<1x1xf32>) -> tensor<8x64xf32>
  %y = moe.linear %h, %w : (tensor<?x64xf32>, tensor<8x64xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @dequant_returned(%q: tensor<8x64xf8E4M3FN> {moe.weight = "w"},
                            %s: tensor<1x1xf32> {moe.weight = "w_scale_inv"}) -> tensor<8x64xf32> {
  // expected-error @+1 {{is used by func.return (operand 0), whose kernel does not read quantized weights}}
  %w = moe.dequant %q, %s block [128, 128] : (tensor<8x64xf8E4M3FN>, tensor<1x1xf32>) -> tensor<8x64xf32>
  return %w : tensor<8x64xf32>
}
