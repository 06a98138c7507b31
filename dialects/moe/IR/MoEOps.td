//===- MoEOps.td - moe dialect operations ------------------*- tablegen -*-===//
//
// Tensor-level MoE ops. Shapes use T tokens, H hidden size, E routed experts,
// K experts per token, I expert intermediate size, N = T*K token copies.
//
//===----------------------------------------------------------------------===//

#ifndef HEXMOE_DIALECT_MOE_OPS
#define HEXMOE_DIALECT_MOE_OPS

include "dialects/moe/IR/MoEBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "dialects/moe/IR/MoEPlan.td"
include "dialects/moe/IR/MoEModelOps.td"
include "dialects/moe/IR/MoEWeightOps.td"

//===----------------------------------------------------------------------===//
// moe.router
//===----------------------------------------------------------------------===//

def MoE_RouterOp : MoE_Op<"router", [Pure]> {
  let summary = "scores experts per token and selects the top-k";
  let description = [{
    Computes router logits `hidden · weightᵀ` (`[T, E]`), scores them with
    `softmax` or `sigmoid`, and selects `top_k` experts per token.

    DeepSeek-V3 group-limited routing: with `n_group` > 1 the E experts form
    `n_group` equal groups; each group is rated by the sum of its two best
    selection scores, the best `topk_group` groups are kept, and the top-k
    experts are chosen among those only (the others are masked with -inf). The optional `bias` (`[E]`, DeepSeek-V3's
    `e_score_correction_bias`) is added to the scores for selection only; the
    returned weights are the unbiased scores of the chosen experts.

    With `norm_topk_prob` the chosen weights are divided by their sum (plus
    1e-20); then all are multiplied by `routed_scaling_factor`. Ties go to the
    lower expert index. Results: expert ids `[T, K]` (i32) ordered by
    decreasing selection score, and their weights `[T, K]` (f32).

    Example:

    ```mlir
    %ids, %weights = moe.router sigmoid %hidden, %w bias %b top_k 8
        {n_group = 8 : i64, topk_group = 4 : i64, norm_topk_prob,
         routed_scaling_factor = 2.5 : f64}
        : (tensor<?x256xf32>, tensor<32x256xf32>, tensor<32xf32>)
        -> (tensor<?x8xi32>, tensor<?x8xf32>)
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$hidden, MoE_WeightTensor:$weight,
                       Optional<MoE_F32Tensor>:$bias,
                       MoE_ScoringAttr:$scoring,
                       ConfinedAttr<I64Attr, [IntPositive]>:$top_k,
                       DefaultValuedAttr<I64Attr, "1">:$n_group,
                       DefaultValuedAttr<I64Attr, "1">:$topk_group,
                       UnitAttr:$norm_topk_prob,
                       DefaultValuedAttr<F64Attr, "1.0">:$routed_scaling_factor);
  let results = (outs MoE_I32Tensor:$ids, MoE_F32Tensor:$weights);
  let assemblyFormat = [{
    $scoring $hidden `,` $weight (`bias` $bias^)? `top_k` $top_k attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.dispatch
//===----------------------------------------------------------------------===//

def MoE_DispatchOp : MoE_Op<"dispatch", [Pure]> {
  let summary = "sorts token copies by expert";
  let description = [{
    Given `hidden` `[T, H]` and expert ids `[T, K]`, produces the N = T*K
    token copies grouped by expert: `rows` `[N, H]` where expert e owns rows
    `[offsets[e], offsets[e+1])` (`offsets` is `[E+1]`, i32), and `inverse`
    `[N]` (i32), the row of copy `t*K + k`. Within an expert, copies keep
    token order (a stable sort).

    Example:

    ```mlir
    %rows, %offsets, %inverse = moe.dispatch %hidden, %ids experts 8
        : (tensor<?x256xf32>, tensor<?x2xi32>)
        -> (tensor<?x256xf32>, tensor<9xi32>, tensor<?xi32>)
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$hidden, MoE_I32Tensor:$ids,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_experts);
  let results = (outs MoE_F32Tensor:$rows, MoE_I32Tensor:$offsets,
                      MoE_I32Tensor:$inverse);
  let assemblyFormat = [{
    $hidden `,` $ids `experts` $num_experts attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.expert_ffn
//===----------------------------------------------------------------------===//

def MoE_ExpertFfnOp : MoE_Op<"expert_ffn", [Pure]> {
  let summary = "grouped gated FFN over rows grouped by expert";
  let description = [{
    For each expert e and each row r in `[offsets[e], offsets[e+1])`:
    `out[r] = down[e] · (act(gate[e] · rows[r]) * (up[e] · rows[r]))`.
    Ragged row groups with per-expert offsets, as `torch._grouped_mm(offs)`
    and `chlo.ragged_dot` define them. gate/up are `[E, I, H]`, down is
    `[E, H, I]`; weights may be bf16, accumulation is f32.

    Example:

    ```mlir
    %y = moe.expert_ffn silu %rows, %offsets, %gate, %up, %down
        : (tensor<?x256xf32>, tensor<9xi32>, tensor<8x512x256xf32>,
           tensor<8x512x256xf32>, tensor<8x256x512xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$rows, MoE_I32Tensor:$offsets,
                       MoE_WeightTensor:$gate, MoE_WeightTensor:$up,
                       MoE_WeightTensor:$down,
                       DefaultValuedAttr<MoE_ActivationAttr, "Activation::silu">:$activation);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = [{
    $activation $rows `,` $offsets `,` $gate `,` $up `,` $down attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.ffn
//===----------------------------------------------------------------------===//

def MoE_FfnOp : MoE_Op<"ffn", [Pure]> {
  let summary = "dense gated FFN (shared experts, dense layers)";
  let description = [{
    `out = down · (act(gate · x) * (up · x))` for every row of `x` `[T, H]`,
    with gate/up `[I, H]` and down `[H, I]`. DeepSeek-V3's shared experts are
    one such FFN of width `n_shared_experts * moe_intermediate_size`.

    Example:

    ```mlir
    %s = moe.ffn silu %x, %gate, %up, %down
        : (tensor<?x256xf32>, tensor<128x256xf32>, tensor<128x256xf32>,
           tensor<256x128xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$input, MoE_WeightTensor:$gate,
                       MoE_WeightTensor:$up, MoE_WeightTensor:$down,
                       DefaultValuedAttr<MoE_ActivationAttr, "Activation::silu">:$activation);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = [{
    $activation $input `,` $gate `,` $up `,` $down attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.combine
//===----------------------------------------------------------------------===//

def MoE_CombineOp : MoE_Op<"combine", [Pure]> {
  let summary = "weighted sum of each token's expert outputs";
  let description = [{
    `out[t] = shared[t] + Σ_k weights[t, k] * expert_out[inverse[t*K + k]]`,
    where `expert_out` is `[N, H]` in dispatch order, `inverse` `[N]` and
    `weights` `[T, K]`. The `shared` addend `[T, H]` (the shared experts'
    output) is optional.

    Example:

    ```mlir
    %out = moe.combine %y, %inverse, %weights shared %s
        : (tensor<?x256xf32>, tensor<?xi32>, tensor<?x8xf32>, tensor<?x256xf32>)
        -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$expert_out, MoE_I32Tensor:$inverse,
                       MoE_F32Tensor:$weights, Optional<MoE_F32Tensor>:$shared);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = [{
    $expert_out `,` $inverse `,` $weights (`shared` $shared^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moe.layer
//===----------------------------------------------------------------------===//

def MoE_LayerOp : MoE_Op<"layer", [Pure, AttrSizedOperandSegments]> {
  let summary = "a whole MoE block: router, routed experts, shared experts";
  let description = [{
    The MoE block of Mixtral, Qwen-MoE, OLMoE or DeepSeek-V3 as one op, with
    the router attributes of `moe.router` and the expert activation of
    `moe.expert_ffn`. Shared experts (`shared_gate` `[S, H]`, `shared_up`
    `[S, H]`, `shared_down` `[H, S]`) are all present or all absent.
    Importers produce this op; `moe-decompose-layer` splits it.

    Example (DeepSeek-V3-style):

    ```mlir
    %out = moe.layer sigmoid %hidden, %router bias %bias top_k 8
        experts(%gate, %up, %down) shared(%sg, %su, %sd)
        {n_group = 8 : i64, topk_group = 4 : i64, norm_topk_prob,
         routed_scaling_factor = 2.5 : f64}
        : (tensor<?x256xf32>, tensor<32x256xf32>, tensor<32xf32>,
           tensor<32x128x256xf32>, tensor<32x128x256xf32>, tensor<32x256x128xf32>,
           tensor<128x256xf32>, tensor<128x256xf32>, tensor<256x128xf32>)
        -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$hidden, MoE_WeightTensor:$router_weight,
                       Optional<MoE_F32Tensor>:$bias,
                       MoE_WeightTensor:$gate, MoE_WeightTensor:$up,
                       MoE_WeightTensor:$down,
                       Optional<MoE_WeightTensor>:$shared_gate,
                       Optional<MoE_WeightTensor>:$shared_up,
                       Optional<MoE_WeightTensor>:$shared_down,
                       MoE_ScoringAttr:$scoring,
                       ConfinedAttr<I64Attr, [IntPositive]>:$top_k,
                       DefaultValuedAttr<I64Attr, "1">:$n_group,
                       DefaultValuedAttr<I64Attr, "1">:$topk_group,
                       UnitAttr:$norm_topk_prob,
                       DefaultValuedAttr<F64Attr, "1.0">:$routed_scaling_factor,
                       DefaultValuedAttr<MoE_ActivationAttr, "Activation::silu">:$activation);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = [{
    $scoring $hidden `,` $router_weight (`bias` $bias^)? `top_k` $top_k
    `experts` `(` $gate `,` $up `,` $down `)`
    (`shared` `(` $shared_gate^ `,` $shared_up `,` $shared_down `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Grouped kernel ops (produced by moe-fuse-experts)
//===----------------------------------------------------------------------===//

def MoE_SortByExpertOp : MoE_Op<"sort_by_expert", [Pure]> {
  let summary = "dispatch indices only: per-expert offsets and permutations";
  let description = [{
    The index half of `moe.dispatch`: from ids `[T, K]` computes `offsets`
    `[E+1]`, `copies` `[N]` (the token copy `t*K + k` at each sorted row) and
    `inverse` `[N]` (the row of each copy). No activation is moved; the
    grouped kernels gather rows through `copies`.

    Example:

    ```mlir
    %offsets, %copies, %inverse = moe.sort_by_expert %ids experts 8
        : (tensor<?x2xi32>) -> (tensor<9xi32>, tensor<?xi32>, tensor<?xi32>)
    ```
  }];
  let arguments = (ins MoE_I32Tensor:$ids,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_experts);
  let results = (outs MoE_I32Tensor:$offsets, MoE_I32Tensor:$copies,
                      MoE_I32Tensor:$inverse);
  let assemblyFormat = [{
    $ids `experts` $num_experts attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def MoE_GroupedGateUpOp : MoE_Op<"grouped_gate_up", [Pure, AttrSizedOperandSegments]> {
  let summary = "fused gather + gate/up projections + gated activation";
  let description = [{
    One pass over memory for dispatch → gate/up → SwiGLU. Grouped form
    (`copies` and `offsets` present, gate/up `[E, I, H]`): row r of expert e
    reads `hidden[copies[r] / top_k]` directly and writes
    `act(gate[e] · x) * (up[e] · x)` to `out[r]` (`[N, I]`). Dense form (no
    indices, gate/up `[I, H]`): row r reads `hidden[r]`.

    Example:

    ```mlir
    %a = moe.grouped_gate_up silu %hidden, %gate, %up gather(%copies, %offsets) top_k 2
        : (tensor<?x256xf32>, tensor<8x512x256xf32>, tensor<8x512x256xf32>,
           tensor<?xi32>, tensor<9xi32>) -> tensor<?x512xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$hidden, MoE_WeightTensor:$gate,
                       MoE_WeightTensor:$up,
                       Optional<MoE_I32Tensor>:$copies,
                       Optional<MoE_I32Tensor>:$offsets,
                       DefaultValuedAttr<I64Attr, "1">:$top_k,
                       DefaultValuedAttr<MoE_ActivationAttr, "Activation::silu">:$activation);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = [{
    $activation $hidden `,` $gate `,` $up
    (`gather` `(` $copies^ `,` $offsets `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def MoE_GroupedDownOp : MoE_Op<"grouped_down", [Pure]> {
  let summary = "down projection over rows grouped by expert";
  let description = [{
    Grouped form (`offsets` present, down `[E, H, I]`): `out[r] = down[e] ·
    act[r]` for the rows r of expert e. Dense form (down `[H, I]`): every
    row uses the one matrix.

    Example:

    ```mlir
    %y = moe.grouped_down %a, %down offsets %offsets
        : (tensor<?x512xf32>, tensor<8x256x512xf32>, tensor<9xi32>)
        -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins MoE_F32Tensor:$act, MoE_WeightTensor:$down,
                       Optional<MoE_I32Tensor>:$offsets);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = [{
    $act `,` $down (`offsets` $offsets^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // HEXMOE_DIALECT_MOE_OPS
