// The router of models/examples/deepseek_v3_layer.mlir alone.
func.func @deepseek_v3_router(%hidden: tensor<?x256xf32> {moe.name = "hidden"},
                              %router: tensor<32x256xf32> {moe.name = "router"},
                              %bias: tensor<32xf32> {moe.name = "e_score_correction_bias"})
    -> (tensor<?x8xi32>, tensor<?x8xf32>) {
  %ids, %weights = moe.router sigmoid %hidden, %router bias %bias top_k 8
      {n_group = 8 : i64, topk_group = 4 : i64, norm_topk_prob, routed_scaling_factor = 2.5 : f64}
      : (tensor<?x256xf32>, tensor<32x256xf32>, tensor<32xf32>) -> (tensor<?x8xi32>, tensor<?x8xf32>)
  return %ids, %weights : tensor<?x8xi32>, tensor<?x8xf32>
}
