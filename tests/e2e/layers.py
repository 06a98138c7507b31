"""Shapes and seeded inputs of the example layers (models/examples/)."""
import numpy as np

MIXTRAL = dict(name="mixtral", H=256, I=512, E=8, K=2, shared=0)
DEEPSEEK = dict(name="deepseek_v3", H=256, I=128, E=32, K=8, shared=128)
# Mixtral-shaped with no size a multiple of 4 or 8: every kernel's scalar tail.
ODD = dict(name="mixtral_odd", H=54, I=38, E=6, K=2, shared=0)
# A quarter-size Mixtral layer (352 MB of f32 experts): the benchmarks' decode case.
QUARTER = dict(name="mixtral-quarter", H=1024, I=3584, E=8, K=2, shared=0)


def mixtral_layer_mlir(model):
    """A Mixtral-style layer of `model`'s sizes, as models/examples/mixtral_layer.mlir."""
    h, i, e, k = model["H"], model["I"], model["E"], model["K"]
    return f"""
func.func @mixtral_layer(%hidden: tensor<?x{h}xf32>, %router: tensor<{e}x{h}xf32>,
    %gate: tensor<{e}x{i}x{h}xf32>, %up: tensor<{e}x{i}x{h}xf32>,
    %down: tensor<{e}x{h}x{i}xf32>) -> tensor<?x{h}xf32> {{
  %out = moe.layer softmax %hidden, %router top_k {k} experts(%gate, %up, %down) {{norm_topk_prob}}
      : (tensor<?x{h}xf32>, tensor<{e}x{h}xf32>, tensor<{e}x{i}x{h}xf32>, tensor<{e}x{i}x{h}xf32>,
         tensor<{e}x{h}x{i}xf32>) -> tensor<?x{h}xf32>
  return %out : tensor<?x{h}xf32>
}}
"""


def mixtral_router_mlir(model):
    """The router of mixtral_layer_mlir(model) alone."""
    h, e, k = model["H"], model["E"], model["K"]
    return f"""
func.func @mixtral_router(%hidden: tensor<?x{h}xf32>, %router: tensor<{e}x{h}xf32>)
    -> (tensor<?x{k}xi32>, tensor<?x{k}xf32>) {{
  %ids, %weights = moe.router softmax %hidden, %router top_k {k} {{norm_topk_prob}}
      : (tensor<?x{h}xf32>, tensor<{e}x{h}xf32>) -> (tensor<?x{k}xi32>, tensor<?x{k}xf32>)
  return %ids, %weights : tensor<?x{k}xi32>, tensor<?x{k}xf32>
}}
"""


def make_inputs(model, tokens, routing, seed):
    """Returns the layer's arguments in the examples' order, float32.

    routing: "uniform" (random router, roughly even load) or "skewed" (one
    hot expert pulls most tokens, a second one many; for DeepSeek-V3 the
    correction bias also favours a few experts) or, for layers with a
    correction bias, "negative_bias" (-1.5 on three of every four experts).
    """
    rng = np.random.default_rng(seed)
    H, I, E = model["H"], model["I"], model["E"]
    hidden = rng.standard_normal((tokens, H)).astype(np.float32)
    router = (rng.standard_normal((E, H)) / np.sqrt(H)).astype(np.float32)
    bias = (0.05 * rng.standard_normal(E)).astype(np.float32)
    if routing == "skewed":
        v = rng.standard_normal(H)
        v /= np.linalg.norm(v)
        hidden += (2.0 * v).astype(np.float32)
        router[0] += (2.0 * v).astype(np.float32)
        router[E // 2 + 1] += (1.0 * v).astype(np.float32)
        bias[[3, E - 1]] += 0.3
    elif routing == "negative_bias":
        # Three of every four experts get a correction bias of -1.5, so most
        # selection scores in the kept groups are negative: discarded groups
        # must be masked with -inf, not 0.0, or their experts win.
        for g in range(0, E, 4):
            bias[g + 1:g + 4] = -1.5
    elif routing != "uniform":
        raise ValueError(routing)
    gate = (rng.standard_normal((E, I, H)) / np.sqrt(H)).astype(np.float32)
    up = (rng.standard_normal((E, I, H)) / np.sqrt(H)).astype(np.float32)
    down = (rng.standard_normal((E, H, I)) / np.sqrt(I)).astype(np.float32)
    if model["shared"] == 0:
        return [hidden, router, gate, up, down]
    S = model["shared"]
    sgate = (rng.standard_normal((S, H)) / np.sqrt(H)).astype(np.float32)
    sup = (rng.standard_normal((S, H)) / np.sqrt(H)).astype(np.float32)
    sdown = (rng.standard_normal((H, S)) / np.sqrt(S)).astype(np.float32)
    return [hidden, router, bias, gate, up, down, sgate, sup, sdown]


def expert_weight_slots(model):
    """Argument positions of the expert weights (retyped by --weight-type=bf16)."""
    return [2, 3, 4] if model["shared"] == 0 else [3, 4, 5, 6, 7, 8]
