//===- MoEWeightOps.td - weight formats --------------------*- tablegen -*-===//
//
// Quantised weight formats. A format is the element type its weight is stored
// in plus the scales that restore it; `moe.dequant` names both, and its
// result is the logical f32 weight the consumer computes with. Targets never
// materialise that result: moe-plan-launches moves each moe.dequant into the
// kernel of every op that uses it, so the kernel reads the stored bytes and
// the scales and dequantises in its main loop.
//
//===----------------------------------------------------------------------===//

#ifndef HEXMOE_DIALECT_MOE_WEIGHT_OPS
#define HEXMOE_DIALECT_MOE_WEIGHT_OPS

include "dialects/moe/IR/MoEBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def MoE_QuantizedTensor : MoE_TensorOf<[F8E4M3FN, I8]>;

def MoE_DequantOp : MoE_Op<"dequant", [Pure]> {
  let summary = "a block-scaled weight, as the f32 values it stands for";
  let description = [{
    `out[..., r, c] = quantized[..., r, c] * scale[..., r / block[0], c / block[1]]`
    for `quantized` `[..., R, C]` and `scale` `[..., ceil(R / block[0]),
    ceil(C / block[1])]` (f32). Two storages:
    - float8 e4m3fn (`f8E4M3FN`): DeepSeek-V3/R1's FP8 checkpoints, with
      `block = [128, 128]` and `scale` the checkpoint's `weight_scale_inv`;
    - int8 (`i8`, signed): groups along each row, `block = [1, 32]` as
      llama.cpp's Q8_0 (`hexmoe-compile --weight-type=int8`).
    Leading dimensions (stacked experts) are the same in both. The last row
    and column blocks may be partial; their scale applies to the elements
    they hold (DeepSeek's `weight_dequant`).

    Its users must be ops whose kernels read the weight operand in the
    format (`moe.linear`, `moe.mla_attention`'s `kv_b`, the expert and dense
    FFN ops); `moe-plan-launches` fuses it into each of them and refuses any
    other use.

    Example:

    ```mlir
    %w = moe.dequant %q, %s block [128, 128]
        : (tensor<8x2048x7168xf8E4M3FN>, tensor<8x16x56xf32>) -> tensor<8x2048x7168xf32>
    ```
  }];
  let arguments = (ins MoE_QuantizedTensor:$quantized, MoE_F32Tensor:$scale,
                       DenseI64ArrayAttr:$block);
  let results = (outs MoE_F32Tensor:$out);
  let assemblyFormat = [{
    $quantized `,` $scale `block` $block attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // HEXMOE_DIALECT_MOE_WEIGHT_OPS
