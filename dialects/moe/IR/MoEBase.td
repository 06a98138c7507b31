//===- MoEBase.td - moe dialect definition -----------------*- tablegen -*-===//
//
// The `moe` dialect: Mixture-of-Experts layers at the tensor level, in the
// weight layout of Hugging Face checkpoints ([out, in]).
//
//===----------------------------------------------------------------------===//

#ifndef HEXMOE_DIALECT_MOE_BASE
#define HEXMOE_DIALECT_MOE_BASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def MoE_Dialect : Dialect {
  let name = "moe";
  let cppNamespace = "::hexmoe::moe";
  let summary = "Mixture-of-Experts layers: routing, dispatch, grouped expert FFNs, combine";
  let description = [{
    Ops mirror what MoE checkpoints contain. Weights use the Hugging Face
    layout `[out, in]`: router `[E, H]`, gate/up projections `[E, I, H]`, down
    projection `[E, H, I]`. Activations are f32; weights are f32 or bf16 and
    are accumulated in f32.

    `moe.layer` is the whole block as importers produce it; the
    `moe-decompose-layer` pass splits it into `moe.router`, `moe.dispatch`,
    `moe.expert_ffn`, `moe.ffn` (shared experts) and `moe.combine`;
    `moe-fuse-experts` rewrites dispatch and expert FFNs into the grouped
    kernel ops (`moe.sort_by_expert`, `moe.grouped_gate_up`,
    `moe.grouped_down`) that targets lower to code; `moe-plan-launches`
    records how a compiled function runs them as a `moe.launch_plan`.
  }];
  let useDefaultAttributePrinterParser = 1;
}

def MoE_ScoringAttr : I32EnumAttr<"Scoring", "router scoring function", [
    I32EnumAttrCase<"softmax", 0>,
    I32EnumAttrCase<"sigmoid", 1>
  ]> {
  let cppNamespace = "::hexmoe::moe";
}

def MoE_ActivationAttr : I32EnumAttr<"Activation", "expert FFN gate activation", [
    I32EnumAttrCase<"silu", 0>,
    I32EnumAttrCase<"gelu", 1>
  ]> {
  let cppNamespace = "::hexmoe::moe";
}

class MoE_Op<string mnemonic, list<Trait> traits = []>
    : Op<MoE_Dialect, mnemonic, traits>;

// Every moe tensor: each static size in [1, 2^31) and at most 2^40 elements
// when fully static, so kernels never divide by a zero extent and sizes never
// overflow int64 in verifiers, code generation or the runtime. Only the
// token count T may be dynamic, and it may be 0 at run time.
def MoE_SaneSizes : CPred<"::hexmoe::moe::hasSaneSizes($_self)">;
class MoE_TensorOf<list<Type> types>
    : Type<And<[RankedTensorOf<types>.predicate, MoE_SaneSizes]>,
           RankedTensorOf<types>.summary # " with static sizes in [1, 2^31) and at most 2^40 elements",
           "::mlir::RankedTensorType">;

// Activations: ranked f32 tensors. Weights: f32, bf16 or f16.
def MoE_F32Tensor : MoE_TensorOf<[F32]>;
def MoE_WeightTensor : MoE_TensorOf<[F32, BF16, F16]>;
def MoE_I32Tensor : MoE_TensorOf<[I32]>;

#endif // HEXMOE_DIALECT_MOE_BASE
