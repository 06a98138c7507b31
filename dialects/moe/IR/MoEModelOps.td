//===- MoEModelOps.td - the ops around the MoE blocks ------*- tablegen -*-===//
//
// What a whole decoder needs besides its MoE blocks: token embedding,
// RMSNorm, dense projections, residual adds, rotary position embedding, and
// attention over a KV cache. Shapes use T tokens (the only dynamic size), S
// cache positions, H hidden size, V vocabulary. Each op is one kernel.
//
//===----------------------------------------------------------------------===//

#ifndef HEXMOE_DIALECT_MOE_MODEL_OPS
#define HEXMOE_DIALECT_MOE_MODEL_OPS

include "dialects/moe/IR/MoEBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def MoE_EmbeddingOp : MoE_Op<"embedding", [Pure]> {
  let summary = "looks up each token's row of the embedding table";
  let description = [{
    `out[t] = table[ids[t]]` for ids `[T]` (i32) and table `[V, H]`. An id
    outside `[0, V)` gives a row of zeros (callers check ids first; the kernel
    never reads outside the table).

    Example:

    ```mlir
    %x = moe.embedding %ids, %table : (tensor<?xi32>, tensor<32000x4096xbf16>) -> tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins MoE_I32Tensor:$ids, MoE_WeightTensor:$table);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$ids `,` $table attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def MoE_RmsNormOp : MoE_Op<"rms_norm", [Pure]> {
  let summary = "RMSNorm of each row, or of each group of columns";
  let description = [{
    `out = x * rsqrt(mean(x²) + epsilon) * weight` over each consecutive group
    of G columns of `x` `[T, N]`, with `weight` `[G]`; G = N normalises whole
    rows (the decoder's norms), G = head_dim each head (Qwen3's q/k norms).
    Accumulates in f32, as transformers' RMSNorm does.

    Example:

    ```mlir
    %n = moe.rms_norm %x, %w {epsilon = 1.0e-06 : f64} : (tensor<?x4096xf32>, tensor<4096xbf16>) -> tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$input, MoE_WeightTensor:$weight,
                       DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$input `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def MoE_LinearOp : MoE_Op<"linear", [Pure]> {
  let summary = "dense projection x · Wᵀ (+ bias)";
  let description = [{
    `out[t] = weight · x[t] + bias` for x `[T, K]`, weight `[N, K]` (Hugging
    Face's `[out, in]` layout) and an optional bias `[N]`: attention
    projections, the LM head.

    Example:

    ```mlir
    %q = moe.linear %x, %wq bias %bq : (tensor<?x2048xf32>, tensor<4096x2048xbf16>, tensor<4096xbf16>) -> tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$input, MoE_WeightTensor:$weight,
                       Optional<MoE_WeightTensor>:$bias);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$input `,` $weight (`bias` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def MoE_AddOp : MoE_Op<"add", [Pure]> {
  let summary = "elementwise sum (residual connections)";
  let description = [{
    `out = lhs + rhs` for two `[T, N]` tensors.

    Example:

    ```mlir
    %h = moe.add %x, %attn : (tensor<?x4096xf32>, tensor<?x4096xf32>) -> tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$lhs, MoE_F32Tensor:$rhs);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def MoE_RopeOp : MoE_Op<"rope", [Pure]> {
  let summary = "rotary position embedding of each head";
  let description = [{
    Rotates the last `rope_dim` (R) of each `head_dim` (D) columns of x
    `[T, n*D]` by the angles of the token's position: `table` `[P, R]` holds,
    per position, R/2 cosines then R/2 sines (the compiler computes it, with
    any YaRN or linear scaling folded in). Pairs are (i, i + R/2) of the
    rotated part, as transformers' `rotate_half`; with `interleaved` they are
    (2i, 2i+1), as DeepSeek's reference code (transformers' `rope_interleave`,
    which permutes q and k alike, so attention scores are the same). A
    position outside `[0, P)` uses the nearest row.

    Example:

    ```mlir
    %qr = moe.rope %q, %pos, %table {head_dim = 128 : i64, rope_dim = 128 : i64}
        : (tensor<?x4096xf32>, tensor<?xi32>, tensor<4096x128xf32>) -> tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$input, MoE_I32Tensor:$positions, MoE_F32Tensor:$table,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       ConfinedAttr<I64Attr, [IntPositive]>:$rope_dim,
                       UnitAttr:$interleaved);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$input `,` $positions `,` $table attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def MoE_KvWriteOp : MoE_Op<"kv_write"> {
  let summary = "stores keys or values at their positions of a cache, in place";
  let description = [{
    Writes row t of `rows` `[T, C]` to row `positions[t]` of `cache` `[S, C]`
    and returns the cache. The cache is updated in place: it must be an
    argument of the function (the caller's tensor, kept across calls), and
    the result is that same buffer. Positions outside `[0, S)` are skipped.

    Example:

    ```mlir
    %k2 = moe.kv_write %kcache, %k, %pos : (tensor<4096x1024xf32>, tensor<?x1024xf32>, tensor<?xi32>) -> tensor<4096x1024xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$cache, MoE_F32Tensor:$rows, MoE_I32Tensor:$positions);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$cache `,` $rows `,` $positions attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def MoE_AttentionOp : MoE_Op<"attention", [Pure]> {
  let summary = "causal grouped-query attention over a KV cache";
  let description = [{
    For token t at position p = `positions[t]` and head h of `num_heads`:
    `softmax(scale · q[t,h] · k[j,g]) · v[j,g]` over cache rows j in
    `[max(0, p - sliding_window + 1), p]` (all of `[0, p]` when
    `sliding_window` is 0), with g = h / (num_heads / num_kv_heads). q is
    `[T, num_heads * head_dim]`, the caches `[S, num_kv_heads * head_dim]`
    and `[S, num_kv_heads * v_head_dim]` (written first with `moe.kv_write`),
    the result `[T, num_heads * v_head_dim]`. Softmax in f32 with the row
    maximum subtracted.

    Example:

    ```mlir
    %o = moe.attention %q, %kc, %vc, %pos {num_heads = 32 : i64, num_kv_heads = 8 : i64,
        head_dim = 128 : i64, v_head_dim = 128 : i64, scale = 0.088388 : f64}
        : (tensor<?x4096xf32>, tensor<4096x1024xf32>, tensor<4096x1024xf32>, tensor<?xi32>) -> tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$q, MoE_F32Tensor:$k_cache, MoE_F32Tensor:$v_cache,
                       MoE_I32Tensor:$positions,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       ConfinedAttr<I64Attr, [IntPositive]>:$v_head_dim,
                       F64Attr:$scale,
                       DefaultValuedAttr<I64Attr, "0">:$sliding_window);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$q `,` $k_cache `,` $v_cache `,` $positions attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def MoE_SigmoidGateOp : MoE_Op<"sigmoid_gate", [Pure]> {
  let summary = "scales each row by the sigmoid of its gate logit";
  let description = [{
    `out[t] = sigmoid(gate[t, 0]) * input[t]` for input `[T, N]` and gate
    `[T, 1]` (`moe.linear` against a `[1, H]` weight): Qwen2-MoE's gated
    shared expert.

    Example:

    ```mlir
    %s2 = moe.sigmoid_gate %s, %g : (tensor<?x2048xf32>, tensor<?x1xf32>) -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$input, MoE_F32Tensor:$gate);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$input `,` $gate attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def MoE_MlaAttentionOp : MoE_Op<"mla_attention", [Pure]> {
  let summary = "DeepSeek's multi-head latent attention over a latent KV cache";
  let description = [{
    Causal attention whose cache holds, per position, the compressed latent
    `c` (`[S, L]`, after kv_a_layernorm) and the shared rotary key `k_pe`
    (`[S, R]`, after RoPE) instead of per-head keys and values. For token t
    at position p and head h, with q `[T, num_heads * (nope_dim + R)]` (the
    rotary part last in each head) and `kv_b` `[num_heads * (nope_dim +
    v_dim), L]` (kv_b_proj, each head's nope_dim key rows then v_dim value
    rows):
    `score_j = scale · ((W_k[h]ᵀ q_nope) · c_j + q_pe · k_pe_j)` over j in
    `[0, p]`, and `out[t, h] = W_v[h] · Σ_j softmax(score)_j c_j` — the
    decompressed keys and values are never formed (DeepSeek's absorbed form).
    Result `[T, num_heads * v_dim]`.

    Example:

    ```mlir
    %o = moe.mla_attention %q, %c, %pe, %kvb, %pos {num_heads = 128 : i64, nope_dim = 128 : i64,
        v_dim = 128 : i64, scale = 0.1352 : f64}
        : (tensor<?x24576xf32>, tensor<4096x512xf32>, tensor<4096x64xf32>, tensor<32768x512xbf16>, tensor<?xi32>)
        -> tensor<?x16384xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$q, MoE_F32Tensor:$latent_cache, MoE_F32Tensor:$rope_cache,
                       MoE_WeightTensor:$kv_b, MoE_I32Tensor:$positions,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$nope_dim,
                       ConfinedAttr<I64Attr, [IntPositive]>:$v_dim,
                       F64Attr:$scale);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = "$q `,` $latent_cache `,` $rope_cache `,` $kv_b `,` $positions attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // HEXMOE_DIALECT_MOE_MODEL_OPS
