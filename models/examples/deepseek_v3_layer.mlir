// A DeepSeek-V3-style MoE block (Hugging Face DeepseekV3MoE semantics),
// scaled down: H=256 hidden, I=128 expert width, E=32 routed experts, top-8,
// sigmoid scoring with e_score_correction_bias for selection, 8 groups of
// which 4 are kept, normalised top-k weights times 2.5, and one shared
// expert of width 128. T (tokens) is dynamic.
func.func @deepseek_v3_layer(
    %hidden: tensor<?x256xf32> {moe.name = "hidden"},
    %router: tensor<32x256xf32> {moe.name = "router"},
    %bias: tensor<32xf32> {moe.name = "e_score_correction_bias"},
    %gate: tensor<32x128x256xf32> {moe.name = "gate_proj"},
    %up: tensor<32x128x256xf32> {moe.name = "up_proj"},
    %down: tensor<32x256x128xf32> {moe.name = "down_proj"},
    %shared_gate: tensor<128x256xf32> {moe.name = "shared_gate_proj"},
    %shared_up: tensor<128x256xf32> {moe.name = "shared_up_proj"},
    %shared_down: tensor<256x128xf32> {moe.name = "shared_down_proj"}) -> tensor<?x256xf32> {
  %out = moe.layer sigmoid %hidden, %router bias %bias top_k 8
      experts(%gate, %up, %down) shared(%shared_gate, %shared_up, %shared_down)
      {n_group = 8 : i64, topk_group = 4 : i64, norm_topk_prob,
       routed_scaling_factor = 2.5 : f64}
      : (tensor<?x256xf32>, tensor<32x256xf32>, tensor<32xf32>,
         tensor<32x128x256xf32>, tensor<32x128x256xf32>, tensor<32x256x128xf32>,
         tensor<128x256xf32>, tensor<128x256xf32>, tensor<256x128xf32>)
      -> tensor<?x256xf32>
  return %out : tensor<?x256xf32>
}
