// A Mixtral-style MoE block (Hugging Face MixtralSparseMoeBlock semantics),
// scaled down: H=256 hidden, I=512 expert width, E=8 experts, top-2, softmax
// router, renormalised top-k weights. T (tokens) is dynamic.
func.func @mixtral_layer(
    %hidden: tensor<?x256xf32> {moe.name = "hidden"},
    %router: tensor<8x256xf32> {moe.name = "router"},
    %gate: tensor<8x512x256xf32> {moe.name = "gate_proj"},
    %up: tensor<8x512x256xf32> {moe.name = "up_proj"},
    %down: tensor<8x256x512xf32> {moe.name = "down_proj"}) -> tensor<?x256xf32> {
  %out = moe.layer softmax %hidden, %router top_k 2 experts(%gate, %up, %down)
      {norm_topk_prob}
      : (tensor<?x256xf32>, tensor<8x256xf32>, tensor<8x512x256xf32>,
         tensor<8x512x256xf32>, tensor<8x256x512xf32>) -> tensor<?x256xf32>
  return %out : tensor<?x256xf32>
}
