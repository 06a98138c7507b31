// The router of models/examples/mixtral_layer.mlir alone, so tests can
// compare the selected experts and their weights.
func.func @mixtral_router(%hidden: tensor<?x256xf32> {moe.name = "hidden"},
                          %router: tensor<8x256xf32> {moe.name = "router"})
    -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  %ids, %weights = moe.router softmax %hidden, %router top_k 2 {norm_topk_prob}
      : (tensor<?x256xf32>, tensor<8x256xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return %ids, %weights : tensor<?x2xi32>, tensor<?x2xf32>
}
