// RUN: hexmoe-opt %s -split-input-file -verify-diagnostics
// Every moe op rejects malformed shapes and attributes with a precise message.

func.func @router_hidden_mismatch(%h: tensor<?x128xf32>, %w: tensor<8x256xf32>) {
  // expected-error @+1 {{'weight' must be [E=8, H=128], got 'tensor<8x256xf32>'}}
  %ids, %wts = moe.router softmax %h, %w top_k 2
      : (tensor<?x128xf32>, tensor<8x256xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return
}

// -----

func.func @router_topk_too_large(%h: tensor<?x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{top_k = 9 exceeds the 8 experts}}
  %ids, %wts = moe.router softmax %h, %w top_k 9
      : (tensor<?x64xf32>, tensor<8x64xf32>) -> (tensor<?x9xi32>, tensor<?x9xf32>)
  return
}

// -----

func.func @router_groups(%h: tensor<?x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{n_group = 5 must divide the 32 experts}}
  %ids, %wts = moe.router sigmoid %h, %w top_k 8 {n_group = 5 : i64, topk_group = 2 : i64}
      : (tensor<?x64xf32>, tensor<32x64xf32>) -> (tensor<?x8xi32>, tensor<?x8xf32>)
  return
}

// -----

func.func @router_kept_groups(%h: tensor<?x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{top_k = 8 exceeds the 4 experts in the 1 kept groups}}
  %ids, %wts = moe.router sigmoid %h, %w top_k 8 {n_group = 8 : i64, topk_group = 1 : i64}
      : (tensor<?x64xf32>, tensor<32x64xf32>) -> (tensor<?x8xi32>, tensor<?x8xf32>)
  return
}

// -----

func.func @router_bias(%h: tensor<?x64xf32>, %w: tensor<8x64xf32>, %b: tensor<7xf32>) {
  // expected-error @+1 {{'bias' must be [E=8], got 'tensor<7xf32>'}}
  %ids, %wts = moe.router sigmoid %h, %w bias %b top_k 2
      : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<7xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return
}

// -----

func.func @router_results(%h: tensor<?x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'ids' must be [T, K=2], got 'tensor<?x3xi32>'}}
  %ids, %wts = moe.router softmax %h, %w top_k 2
      : (tensor<?x64xf32>, tensor<8x64xf32>) -> (tensor<?x3xi32>, tensor<?x2xf32>)
  return
}

// -----

func.func @router_scale(%h: tensor<?x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{routed_scaling_factor must be positive and finite, got}}
  %ids, %wts = moe.router softmax %h, %w top_k 2 {routed_scaling_factor = -1.0 : f64}
      : (tensor<?x64xf32>, tensor<8x64xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return
}

// -----

func.func @router_dynamic_weight(%h: tensor<?x64xf32>, %w: tensor<?x64xf32>) {
  // expected-error @+1 {{'weight' must be a static rank-2 tensor, got 'tensor<?x64xf32>'}}
  %ids, %wts = moe.router softmax %h, %w top_k 2
      : (tensor<?x64xf32>, tensor<?x64xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return
}

// -----

func.func @router_hidden_type(%h: tensor<?x64xf16>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %ids, %wts = moe.router softmax %h, %w top_k 2
      : (tensor<?x64xf16>, tensor<8x64xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return
}

// -----

func.func @dispatch_offsets(%h: tensor<4x64xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{'offsets' must be [E+1=9], got 'tensor<8xi32>'}}
  %rows, %off, %inv = moe.dispatch %h, %ids experts 8
      : (tensor<4x64xf32>, tensor<4x2xi32>) -> (tensor<8x64xf32>, tensor<8xi32>, tensor<8xi32>)
  return
}

// -----

func.func @dispatch_rows(%h: tensor<4x64xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{'rows' must be [N=T*K=8, H=64], got 'tensor<7x64xf32>'}}
  %rows, %off, %inv = moe.dispatch %h, %ids experts 8
      : (tensor<4x64xf32>, tensor<4x2xi32>) -> (tensor<7x64xf32>, tensor<9xi32>, tensor<8xi32>)
  return
}

// -----

func.func @expert_ffn_down(%r: tensor<?x64xf32>, %o: tensor<9xi32>, %g: tensor<8x32x64xf32>,
                           %u: tensor<8x32x64xf32>, %d: tensor<8x32x64xf32>) {
  // expected-error @+1 {{'down' must be [E=8, H=64, I=32], got 'tensor<8x32x64xf32>'}}
  %y = moe.expert_ffn silu %r, %o, %g, %u, %d
      : (tensor<?x64xf32>, tensor<9xi32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @expert_ffn_up(%r: tensor<?x64xf32>, %o: tensor<9xi32>, %g: tensor<8x32x64xf32>,
                         %u: tensor<8x16x64xf32>, %d: tensor<8x64x32xf32>) {
  // expected-error @+1 {{'up' must be [E=8, I=32, H=64], got 'tensor<8x16x64xf32>'}}
  %y = moe.expert_ffn silu %r, %o, %g, %u, %d
      : (tensor<?x64xf32>, tensor<9xi32>, tensor<8x32x64xf32>, tensor<8x16x64xf32>, tensor<8x64x32xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @ffn_rank(%x: tensor<?x64xf32>, %g: tensor<1x16x64xf32>, %u: tensor<16x64xf32>, %d: tensor<64x16xf32>) {
  // expected-error @+1 {{'gate' must be a static rank-2 tensor, got 'tensor<1x16x64xf32>'}}
  %y = moe.ffn silu %x, %g, %u, %d
      : (tensor<?x64xf32>, tensor<1x16x64xf32>, tensor<16x64xf32>, tensor<64x16xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @combine_weights(%y: tensor<8x64xf32>, %inv: tensor<8xi32>, %w: tensor<4x3xf32>) {
  // expected-error @+1 {{'expert_out' must be [N=T*K=12, H=64], got 'tensor<8x64xf32>'}}
  %o = moe.combine %y, %inv, %w : (tensor<8x64xf32>, tensor<8xi32>, tensor<4x3xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @combine_shared(%y: tensor<?x64xf32>, %inv: tensor<?xi32>, %w: tensor<?x2xf32>, %s: tensor<?x32xf32>) {
  // expected-error @+1 {{'shared' must be [T, H=64], got 'tensor<?x32xf32>'}}
  %o = moe.combine %y, %inv, %w shared %s : (tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @layer_shared_width(%h: tensor<?x64xf32>, %r: tensor<8x64xf32>, %g: tensor<8x32x64xf32>,
                              %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>,
                              %sg: tensor<16x64xf32>, %su: tensor<16x64xf32>, %sd: tensor<64x8xf32>) {
  // expected-error @+1 {{'shared_down' must be [H=64, I=16], got 'tensor<64x8xf32>'}}
  %0 = moe.layer softmax %h, %r top_k 2 experts(%g, %u, %d) shared(%sg, %su, %sd)
      : (tensor<?x64xf32>, tensor<8x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>,
         tensor<16x64xf32>, tensor<16x64xf32>, tensor<64x8xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @layer_experts(%h: tensor<?x64xf32>, %r: tensor<4x64xf32>, %g: tensor<8x32x64xf32>,
                         %u: tensor<8x32x64xf32>, %d: tensor<8x64x32xf32>) {
  // expected-error @+1 {{'gate' must be [E=4, I=32, H=64], got 'tensor<8x32x64xf32>'}}
  %0 = moe.layer softmax %h, %r top_k 2 experts(%g, %u, %d)
      : (tensor<?x64xf32>, tensor<4x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @sort_copies(%ids: tensor<4x2xi32>) {
  // expected-error @+1 {{'copies' must be [N=T*K=8], got 'tensor<4xi32>'}}
  %o, %c, %i = moe.sort_by_expert %ids experts 8 : (tensor<4x2xi32>) -> (tensor<9xi32>, tensor<4xi32>, tensor<8xi32>)
  return
}

// -----

func.func @gate_up_out(%h: tensor<4x64xf32>, %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>,
                       %c: tensor<8xi32>, %o: tensor<9xi32>) {
  // expected-error @+1 {{'out' must be [N=8, I=32], got 'tensor<8x64xf32>'}}
  %a = moe.grouped_gate_up silu %h, %g, %u gather(%c, %o) {top_k = 2 : i64}
      : (tensor<4x64xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8xi32>, tensor<9xi32>) -> tensor<8x64xf32>
  return
}

// -----

func.func @down_grouped_rank(%a: tensor<?x32xf32>, %d: tensor<64x32xf32>, %o: tensor<9xi32>) {
  // expected-error @+1 {{'down' must be a static rank-3 tensor, got 'tensor<64x32xf32>'}}
  %y = moe.grouped_down %a, %d offsets %o : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<9xi32>) -> tensor<?x64xf32>
  return
}

// -----

// A zero extent would divide by zero in the kernels: refused by the op.
func.func @zero_extent(%h: tensor<?x256xf32>, %r: tensor<8x256xf32>, %g: tensor<8x0x256xf32>,
                       %u: tensor<8x0x256xf32>, %d: tensor<8x256x0xf32>) {
  // expected-error @+1 {{operand #2 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float values with static sizes in [1, 2^31) and at most 2^40 elements, but got 'tensor<8x0x256xf32>'}}
  %0 = moe.layer softmax %h, %r top_k 2 experts(%g, %u, %d)
      : (tensor<?x256xf32>, tensor<8x256xf32>, tensor<8x0x256xf32>, tensor<8x0x256xf32>, tensor<8x256x0xf32>) -> tensor<?x256xf32>
  return
}

// -----

// Sizes whose products overflow int64 are refused before any code is made.
func.func @huge_extent(%h: tensor<?x4611686018427387904xf32>, %r: tensor<8x4611686018427387904xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values with static sizes in [1, 2^31) and at most 2^40 elements, but got 'tensor<?x4611686018427387904xf32>'}}
  %ids, %w = moe.router softmax %h, %r top_k 2
      : (tensor<?x4611686018427387904xf32>, tensor<8x4611686018427387904xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return
}

// -----

func.func @too_many_elements(%h: tensor<?x65536xf32>, %r: tensor<8x65536xf32>, %g: tensor<65536x65536x1024xf32>,
                             %u: tensor<65536x65536x1024xf32>, %d: tensor<65536x65536x1024xf32>) {
  // expected-error @+1 {{operand #2 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float values with static sizes in [1, 2^31) and at most 2^40 elements, but got 'tensor<65536x65536x1024xf32>'}}
  %0 = moe.layer softmax %h, %r top_k 2 experts(%g, %u, %d)
      : (tensor<?x65536xf32>, tensor<8x65536xf32>, tensor<65536x65536x1024xf32>, tensor<65536x65536x1024xf32>, tensor<65536x65536x1024xf32>) -> tensor<?x65536xf32>
  return
}
