"""Independent float64 references of the two example layers.

Written from Hugging Face transformers' MixtralSparseMoeBlock and
DeepseekV3MoE (softmax/sigmoid router, top-k, DeepSeek-V3 group-limited
selection with the correction bias used for selection only, per-expert SwiGLU
loop, index_add combine), in PyTorch with float64 arithmetic.
"""
import numpy as np
import torch


def _swiglu(x, gate, up, down):
    g = x @ gate.T
    return (torch.nn.functional.silu(g) * (x @ up.T)) @ down.T


def mixtral_router(hidden, router, top_k=2):
    logits = hidden @ router.T
    probs = torch.softmax(logits, dim=-1)
    weights, ids = torch.topk(probs, top_k, dim=-1)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return ids, weights


def deepseek_router(hidden, router, bias, top_k=8, n_group=8, topk_group=4,
                    norm_topk_prob=True, scaling=2.5):
    logits = hidden @ router.T
    scores = logits.sigmoid()
    n_experts = scores.shape[-1]
    choice = scores + bias.unsqueeze(0)
    group_scores = choice.view(-1, n_group, n_experts // n_group).topk(2, dim=-1)[0].sum(dim=-1)
    group_idx = torch.topk(group_scores, k=topk_group, dim=-1, sorted=False)[1]
    group_mask = torch.zeros_like(group_scores)
    group_mask.scatter_(1, group_idx, 1)
    score_mask = (group_mask.unsqueeze(-1)
                  .expand(-1, n_group, n_experts // n_group).reshape(-1, n_experts))
    # Discarded groups are masked with -inf (DeepSeek's inference code,
    # transformers 5), never 0.0: kept biased scores may be negative.
    choice = choice.masked_fill(~score_mask.bool(), float("-inf"))
    ids = torch.topk(choice, k=top_k, dim=-1, sorted=False)[1]
    weights = scores.gather(1, ids)
    if norm_topk_prob:
        weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
    return ids, weights * scaling


def _routed(hidden, ids, weights, gate, up, down):
    out = torch.zeros_like(hidden)
    for e in range(gate.shape[0]):
        token, slot = torch.where(ids == e)
        if token.numel() == 0:
            continue
        y = _swiglu(hidden[token], gate[e], up[e], down[e]) * weights[token, slot, None]
        out.index_add_(0, token, y)
    return out


def mixtral_layer(hidden, router, gate, up, down):
    ids, weights = mixtral_router(hidden, router)
    return _routed(hidden, ids, weights, gate, up, down), ids


def deepseek_layer(hidden, router, bias, gate, up, down, sgate, sup, sdown):
    ids, weights = deepseek_router(hidden, router, bias)
    out = _routed(hidden, ids, weights, gate, up, down)
    return out + _swiglu(hidden, sgate, sup, sdown), ids


def as64(arrays):
    return [torch.from_numpy(np.asarray(a, dtype=np.float64)) for a in arrays]


def bf16_round(a):
    """Rounds float32 values to the nearest bfloat16 (ties to even), as float32."""
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    return t.to(torch.bfloat16).to(torch.float32).numpy()
