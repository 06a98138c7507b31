//===- Passes.td - moe dialect passes ----------------------*- tablegen -*-===//
#ifndef HEXMOE_DIALECT_MOE_PASSES
#define HEXMOE_DIALECT_MOE_PASSES

include "mlir/Pass/PassBase.td"

def MoEDecomposeLayer : Pass<"moe-decompose-layer"> {
  let summary = "splits moe.layer into router, dispatch, expert FFNs and combine";
  let description = [{
    Rewrites every `moe.layer` into `moe.router` → `moe.dispatch` →
    `moe.expert_ffn` → `moe.combine`, with the shared experts (when present)
    as a `moe.ffn` whose output `moe.combine` adds.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def MoEFuseExperts : Pass<"moe-fuse-experts"> {
  let summary = "fuses dispatch, gate/up projections and the gated activation";
  let description = [{
    Rewrites `moe.dispatch` + `moe.expert_ffn` into `moe.sort_by_expert`
    (indices only), `moe.grouped_gate_up` (gathers each token row straight
    from `hidden`, applies gate and up projections and the activation in one
    pass) and `moe.grouped_down`; `moe.ffn` becomes the dense forms of the
    same two grouped ops. The permuted copy of the activations is never
    materialised.
  }];
}

def MoEConvertWeights : Pass<"moe-convert-weights", "::mlir::ModuleOp"> {
  let summary = "retypes expert weight arguments to a narrower element type";
  let description = [{
    Changes the element type of function arguments that feed only expert
    weight operands (gate, up, down of routed and shared experts) to `type`,
    so the compiled function takes weights in that type. Router weights and
    activations stay f32.
  }];
  let options = [
    Option<"elementType", "type", "std::string", /*default=*/"\"bf16\"",
           "weight element type: bf16 or f32">
  ];
}

#endif // HEXMOE_DIALECT_MOE_PASSES
