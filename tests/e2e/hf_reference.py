#!/usr/bin/python3
"""Reference implementation of whole Hugging Face MoE models, in plain torch.

Runs a checkpoint directory (config.json + model.safetensors, or the shards of
model.safetensors.index.json) with a KV cache: prefill, decode steps, greedy
generation. Written from transformers 5's modeling_{deepseek_v3,mixtral,
qwen2_moe,qwen3_moe}.py and DeepSeek's inference/model.py and kernel.py, in
float64 (the reference) or float32 (the same code, trainable:
scripts/train_tiny_model.py trains with it). Needs only numpy and torch 1.13
(Debian's python3-torch); safetensors, bf16 and FP8 e4m3 are decoded here with
numpy bit arithmetic. docs/reference-models.md says what it covers.

    ./hf_reference.py MODEL_DIR --ids 0,17,42 --max-new-tokens 16 [--dtype f32]
"""
import argparse
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------- safetensors

_STORAGE = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16,
    "F8_E4M3": np.uint8, "F8_E5M2": np.uint8, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U64": np.uint64, "U32": np.uint32,
    "U16": np.uint16, "U8": np.uint8, "BOOL": np.bool_,
}


def _e4m3_table():
    """The 256 values of float8 e4m3fn (bias 7, no infinities, S.1111.111 is NaN)."""
    table = np.empty(256, dtype=np.float64)
    for bits in range(256):
        sign = -1.0 if bits & 0x80 else 1.0
        exp, man = (bits >> 3) & 0xF, bits & 0x7
        if exp == 0xF and man == 0x7:
            table[bits] = np.nan
        elif exp == 0:
            table[bits] = sign * (man / 8.0) * 2.0 ** -6
        else:
            table[bits] = sign * (1.0 + man / 8.0) * 2.0 ** (exp - 7)
    return table


E4M3_VALUES = _e4m3_table()


def bf16_bits(a):
    """float32 values -> bfloat16 bit patterns (uint16), rounding to nearest even."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype(np.uint16)


def decode(dtype, raw):
    """A stored tensor (safetensors dtype, storage array) as float64 values."""
    if dtype == "BF16":
        return (raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if dtype == "F8_E4M3":
        return E4M3_VALUES[raw]
    if dtype in ("F64", "F32", "F16"):
        return raw.astype(np.float64)
    raise ValueError(f"tensor dtype {dtype} is not a floating type this reference reads")


def read_safetensors(path):
    """{name: (dtype, storage array)} of one .safetensors file (checked offsets)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    out, base = {}, 8 + n
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        storage = np.dtype(_STORAGE[entry["dtype"]])
        begin, end = entry["data_offsets"]
        count = int(np.prod(entry["shape"], dtype=np.int64))
        if end - begin != count * storage.itemsize or base + end > len(data):
            raise ValueError(f"{path}: tensor {name}: data_offsets do not match its shape")
        arr = np.frombuffer(data, dtype=storage, count=count, offset=base + begin)
        out[name] = (entry["dtype"], arr.reshape(entry["shape"]))
    return out


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: (dtype, storage array)} as one .safetensors file."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        dtype, arr = tensors[name]
        blob = np.ascontiguousarray(arr, dtype=_STORAGE[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    header["__metadata__"] = metadata or {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for blob in blobs:
            f.write(blob)


def save_checkpoint(model_dir, tensors, shards=1, scales_apart=False):
    """Writes {name: (dtype, storage)} as model.safetensors or `shards` files + index; with
    `scales_apart` every FP8 `_scale_inv` goes to the last shard, away from its weight."""
    os.makedirs(model_dir, exist_ok=True)
    if shards == 1:
        write_safetensors(os.path.join(model_dir, "model.safetensors"), tensors)
        return
    names = sorted(n for n in tensors if not (scales_apart and n.endswith("_scale_inv")))
    sizes = [tensors[n][1].nbytes for n in names]
    spread = shards - 1 if scales_apart else shards
    total, groups, acc = sum(sizes), [[] for _ in range(shards)], 0
    for name, size in zip(names, sizes):
        groups[min(spread - 1, int(acc * spread / total))].append(name)
        acc += size
    if scales_apart:
        groups[-1] = sorted(n for n in tensors if n.endswith("_scale_inv"))
    weight_map = {}
    for i, group in enumerate(groups):
        file = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(os.path.join(model_dir, file), {n: tensors[n] for n in group})
        weight_map.update({n: file for n in group})
    with open(os.path.join(model_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")


def open_checkpoint(model_dir):
    """{name: (dtype, storage)} of a checkpoint directory, single file or sharded."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(os.path.join(model_dir, "model.safetensors"))
    with open(index) as f:
        weight_map = json.load(f)["weight_map"]
    out = {}
    for file in sorted(set(weight_map.values())):
        for name, value in read_safetensors(os.path.join(model_dir, file)).items():
            if weight_map.get(name) != file:
                raise ValueError(f"{file}: tensor {name} is not listed for this shard in the index")
            out[name] = value
    missing = set(weight_map) - set(out)
    if missing:
        raise ValueError(f"{model_dir}: index lists tensors no shard holds: {sorted(missing)[:5]}")
    return out


def dequant_fp8_block(bits, scale_inv, block=(128, 128)):
    """W[r][c] * S[r // 128][c // 128] in float64 (kernel.py weight_dequant; partial edge blocks)."""
    rows, cols = bits.shape
    grid = (-(-rows // block[0]), -(-cols // block[1]))
    if tuple(scale_inv.shape) != grid:
        raise ValueError(f"scale grid {tuple(scale_inv.shape)} for a {rows}x{cols} weight, expected {grid}")
    full = np.repeat(np.repeat(scale_inv, block[0], axis=0), block[1], axis=1)[:rows, :cols]
    return E4M3_VALUES[bits] * full


def load_tensors(model_dir, config=None):
    """{name: float64 numpy array}: every floating tensor, FP8 weights dequantised."""
    raw = open_checkpoint(model_dir)
    quant = (config or {}).get("quantization_config") or {}
    block = tuple(quant.get("weight_block_size", (128, 128)))
    out = {}
    for name, (dtype, arr) in raw.items():
        if name.endswith("_scale_inv"):
            continue
        if dtype == "F8_E4M3":
            scale = raw.get(name + "_scale_inv")
            if scale is None:
                raise ValueError(f"{name}: F8_E4M3 weight without {name}_scale_inv")
            out[name] = dequant_fp8_block(arr, decode(*scale), block)
        else:
            out[name] = decode(dtype, arr)
    return out


# ---------------------------------------------------------------- config

# transformers 5's defaults for the fields a config.json may leave out.
_DEFAULTS = {
    "deepseek_v3": dict(num_experts_per_tok=8, norm_topk_prob=True, n_group=8, topk_group=4,
                        routed_scaling_factor=2.5, n_shared_experts=1, first_k_dense_replace=3,
                        moe_layer_freq=1, max_position_embeddings=4096, rope_interleave=True,
                        attention_bias=False, q_lora_rank=1536, scoring_func="sigmoid"),
    "mixtral": dict(num_experts_per_tok=2, num_local_experts=8, sliding_window=None,
                    max_position_embeddings=4096 * 32, rope_theta=1e6),
    "qwen2_moe": dict(num_experts_per_tok=4, num_experts=60, norm_topk_prob=False,
                      decoder_sparse_step=1, qkv_bias=True, max_position_embeddings=32768),
    "qwen3_moe": dict(num_experts_per_tok=8, num_experts=128, norm_topk_prob=False,
                      decoder_sparse_step=1, attention_bias=False, max_position_embeddings=32768),
}


class ModelConfig:
    """A config.json read in either spelling (hub v4 or transformers 5)."""

    def __init__(self, d):
        self.raw = d
        arch = self.arch = d.get("model_type")
        if arch not in _DEFAULTS:
            raise ValueError(f"config.json: model_type {arch!r} is not one of {sorted(_DEFAULTS)}")
        g = lambda key, default=None: d[key] if d.get(key) is not None else _DEFAULTS[arch].get(key, default)
        if g("hidden_act", "silu") != "silu":
            raise ValueError(f"config.json: hidden_act {d['hidden_act']!r}: only silu")
        self.vocab_size, self.hidden_size = d["vocab_size"], d["hidden_size"]
        self.num_layers, self.num_heads = d["num_hidden_layers"], d["num_attention_heads"]
        self.num_kv_heads = g("num_key_value_heads") or self.num_heads
        self.eps = g("rms_norm_eps", 1e-6)
        self.tie_word_embeddings = bool(g("tie_word_embeddings", False))
        self.max_position_embeddings = g("max_position_embeddings")
        self.dtype = d.get("torch_dtype") or d.get("dtype")
        self.bos_token_id, self.eos_token_id = d.get("bos_token_id"), d.get("eos_token_id")
        self.intermediate_size = d.get("intermediate_size")
        self.top_k = g("num_experts_per_tok")
        self.norm_topk_prob = bool(g("norm_topk_prob", True))
        self.sliding_window = None
        self.shared_size = 0
        if arch == "deepseek_v3":
            self.num_experts = d.get("n_routed_experts") or d.get("num_local_experts") or 256
            self.expert_size = d["moe_intermediate_size"]
            self.q_lora_rank = d["q_lora_rank"] if "q_lora_rank" in d else 1536
            self.kv_lora_rank = d["kv_lora_rank"]
            self.qk_nope_head_dim, self.qk_rope_head_dim = d["qk_nope_head_dim"], d["qk_rope_head_dim"]
            self.v_head_dim = d["v_head_dim"]
            self.rope_dim = self.qk_rope_head_dim
            self.rope_interleave = bool(g("rope_interleave"))
            self.n_group, self.topk_group = g("n_group"), g("topk_group")
            self.routed_scaling_factor = float(g("routed_scaling_factor"))
            self.shared_size = self.expert_size * (g("n_shared_experts") or 0)
            self.attention_bias = bool(g("attention_bias"))
            if g("scoring_func") != "sigmoid":
                raise ValueError(f"config.json: scoring_func {d['scoring_func']!r}: deepseek_v3 is sigmoid")
            first, freq = g("first_k_dense_replace"), g("moe_layer_freq")
            self.moe_layers = [i >= first and i % freq == 0 for i in range(self.num_layers)]
            if self.num_experts % self.n_group or self.topk_group * self.num_experts // self.n_group < self.top_k:
                raise ValueError("config.json: n_group / topk_group cannot supply num_experts_per_tok")
        else:
            self.head_dim = d.get("head_dim") or self.hidden_size // self.num_heads
            self.rope_dim = self.head_dim
            if arch == "mixtral":
                self.num_experts = d.get("num_local_experts") or 8
                self.expert_size = self.intermediate_size
                self.norm_topk_prob = True
                self.sliding_window = g("sliding_window")
                self.moe_layers = [True] * self.num_layers
            else:
                if d.get("use_sliding_window"):
                    raise ValueError("config.json: use_sliding_window is not supported")
                # transformers 5 writes Qwen3-MoE's count as num_local_experts.
                self.num_experts = d.get("num_experts") or d.get("num_local_experts") or g("num_experts")
                self.expert_size = d["moe_intermediate_size"]
                step, dense = g("decoder_sparse_step"), set(d.get("mlp_only_layers") or [])
                self.moe_layers = [i not in dense and self.num_experts > 0 and (i + 1) % step == 0
                                   for i in range(self.num_layers)]
                if arch == "qwen2_moe":
                    self.shared_size = d.get("shared_expert_intermediate_size", 5632)
            self.qkv_bias = bool(g("qkv_bias") if arch == "qwen2_moe" else
                                 g("attention_bias", False) if arch == "qwen3_moe" else False)
            self.o_bias = arch == "qwen3_moe" and self.qkv_bias
        if self.top_k > self.num_experts:
            raise ValueError("config.json: num_experts_per_tok exceeds the expert count")
        self._read_rope(d, g)

    def _read_rope(self, d, g):
        rp = dict(d.get("rope_parameters") or d.get("rope_scaling") or {})
        self.rope_theta = float(rp.get("rope_theta") or g("rope_theta", 10000.0))
        self.rope_type = rp.get("rope_type") or rp.get("type") or "default"
        if self.rope_type not in ("default", "linear", "yarn"):
            raise ValueError(f"config.json: RoPE type {self.rope_type!r}: only default, linear, yarn")
        self.rope = rp
        self.rope_original_max = (rp.get("original_max_position_embeddings")
                                  or d.get("original_max_position_embeddings")
                                  or self.max_position_embeddings)

    @classmethod
    def from_dir(cls, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            return cls(json.load(f))


def _yarn_mscale(scale, mscale=1.0):
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def rope_frequencies(cfg):
    """(inv_freq float64 [dim/2], attention_factor), modeling_rope_utils' default/linear/yarn."""
    dim, base, rp = cfg.rope_dim, cfg.rope_theta, cfg.rope
    pos_freqs = base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    if cfg.rope_type == "default":
        return 1.0 / pos_freqs, 1.0
    factor = rp.get("factor")
    if cfg.rope_type == "linear":
        return 1.0 / pos_freqs / factor, 1.0
    orig = cfg.rope_original_max
    if factor is None:
        factor = cfg.max_position_embeddings / orig
    mscale, mscale_all_dim = rp.get("mscale"), rp.get("mscale_all_dim")
    attention_factor = rp.get("attention_factor")
    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = _yarn_mscale(factor, mscale) / _yarn_mscale(factor, mscale_all_dim)
        else:
            attention_factor = _yarn_mscale(factor)
    beta_fast, beta_slow = rp.get("beta_fast") or 32, rp.get("beta_slow") or 1

    def correction_dim(rotations):
        return dim * math.log(orig / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if rp.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low), 0, 1)
    extrapolation = 1 - ramp
    inv_freq = (1.0 / (factor * pos_freqs)) * (1 - extrapolation) + (1.0 / pos_freqs) * extrapolation
    return inv_freq, float(attention_factor)


def softmax_scale(cfg):
    """head_dim^-0.5; DeepSeek multiplies by mscale(factor, mscale_all_dim)^2 (yarn_apply_mscale)."""
    if cfg.arch != "deepseek_v3":
        return cfg.head_dim ** -0.5
    scale = (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim) ** -0.5
    if cfg.rope_type != "default" and cfg.rope.get("mscale_all_dim"):
        m = _yarn_mscale(cfg.rope["factor"], cfg.rope["mscale_all_dim"])
        scale = scale * m * m
    return scale


# ---------------------------------------------------------------- model


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class MLP(nn.Module):
    def __init__(self, hidden, inner):
        super().__init__()
        self.gate_proj = nn.Linear(hidden, inner, bias=False)
        self.up_proj = nn.Linear(hidden, inner, bias=False)
        self.down_proj = nn.Linear(inner, hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def rotate_half_rope(x, cos, sin):
    """Non-interleaved RoPE (rotate_half); cos/sin are the per-pair [.., dim/2] values."""
    cos, sin = torch.cat((cos, cos), -1), torch.cat((sin, sin), -1)
    half = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., half:], x[..., :half]), -1) * sin


def interleaved_rope(x, cos, sin):
    """DeepSeek's pairs (x0, x1), (x2, x3)...; output de-interleaved as transformers lays it out."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), -1)


def _attend(q, k, v, scale, offset, window):
    """softmax(q k^T * scale + causal mask) v for queries at positions offset.., [B,h,S,d]."""
    s, t = q.shape[2], k.shape[2]
    qpos = torch.arange(offset, offset + s).unsqueeze(1)
    kpos = torch.arange(t).unsqueeze(0)
    allowed = kpos <= qpos
    if window:
        allowed &= (qpos - kpos) < window
    scores = (q @ k.transpose(-1, -2)) * scale
    scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


class Attention(nn.Module):
    """GQA (Mixtral, Qwen2-MoE with q/k/v biases, Qwen3-MoE with per-head q/k RMSNorm)."""

    def __init__(self, cfg):
        super().__init__()
        h, hd = cfg.hidden_size, cfg.head_dim
        self.cfg = cfg
        self.q_proj = nn.Linear(h, cfg.num_heads * hd, bias=cfg.qkv_bias)
        self.k_proj = nn.Linear(h, cfg.num_kv_heads * hd, bias=cfg.qkv_bias)
        self.v_proj = nn.Linear(h, cfg.num_kv_heads * hd, bias=cfg.qkv_bias)
        self.o_proj = nn.Linear(cfg.num_heads * hd, h, bias=cfg.o_bias)
        if cfg.arch == "qwen3_moe":
            self.q_norm, self.k_norm = RMSNorm(hd, cfg.eps), RMSNorm(hd, cfg.eps)

    def forward(self, x, cos, sin, cache, offset):
        cfg = self.cfg
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, -1, cfg.head_dim)
        k = self.k_proj(x).view(b, s, -1, cfg.head_dim)
        v = self.v_proj(x).view(b, s, -1, cfg.head_dim).transpose(1, 2)
        if cfg.arch == "qwen3_moe":
            q, k = self.q_norm(q), self.k_norm(k)
        q = rotate_half_rope(q.transpose(1, 2), cos, sin)
        k = rotate_half_rope(k.transpose(1, 2), cos, sin)
        if cache is not None:
            if cache[0] is not None:
                k, v = torch.cat((cache[0], k), 2), torch.cat((cache[1], v), 2)
            cache[0], cache[1] = k, v
        rep = cfg.num_heads // cfg.num_kv_heads
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        out = _attend(q, k, v, softmax_scale(cfg), offset, cfg.sliding_window)
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1))


class MLAttention(nn.Module):
    """DeepSeek multi-head latent attention; the cache holds the compressed latent and k_rot."""

    def __init__(self, cfg):
        super().__init__()
        h, n = cfg.hidden_size, cfg.num_heads
        self.cfg = cfg
        qk = cfg.qk_nope_head_dim + cfg.qk_rope_head_dim
        if cfg.q_lora_rank is None:
            self.q_proj = nn.Linear(h, n * qk, bias=False)
        else:
            self.q_a_proj = nn.Linear(h, cfg.q_lora_rank, bias=cfg.attention_bias)
            # transformers, DeepSeek's code and the hub's all leave these two at eps 1e-6.
            self.q_a_layernorm = RMSNorm(cfg.q_lora_rank, 1e-6)
            self.q_b_proj = nn.Linear(cfg.q_lora_rank, n * qk, bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(h, cfg.kv_lora_rank + cfg.qk_rope_head_dim,
                                            bias=cfg.attention_bias)
        self.kv_a_layernorm = RMSNorm(cfg.kv_lora_rank, 1e-6)
        self.kv_b_proj = nn.Linear(cfg.kv_lora_rank, n * (cfg.qk_nope_head_dim + cfg.v_head_dim), bias=False)
        self.o_proj = nn.Linear(n * cfg.v_head_dim, h, bias=cfg.attention_bias)

    def forward(self, x, cos, sin, cache, offset):
        cfg = self.cfg
        b, s, _ = x.shape
        nope, rope_dim = cfg.qk_nope_head_dim, cfg.qk_rope_head_dim
        if cfg.q_lora_rank is None:
            q = self.q_proj(x)
        else:
            q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))
        q = q.view(b, s, cfg.num_heads, nope + rope_dim).transpose(1, 2)
        q_pass, q_rot = q[..., :nope], q[..., nope:]
        ckv = self.kv_a_proj_with_mqa(x)
        latent = self.kv_a_layernorm(ckv[..., :cfg.kv_lora_rank]).unsqueeze(1)
        k_rot = ckv[..., cfg.kv_lora_rank:].unsqueeze(1)
        rope = interleaved_rope if cfg.rope_interleave else rotate_half_rope
        q_rot, k_rot = rope(q_rot, cos, sin), rope(k_rot, cos, sin)
        if cache is not None:
            if cache[0] is not None:
                latent, k_rot = torch.cat((cache[0], latent), 2), torch.cat((cache[1], k_rot), 2)
            cache[0], cache[1] = latent, k_rot
        t = latent.shape[2]
        kv = self.kv_b_proj(latent.squeeze(1)).view(b, t, cfg.num_heads, nope + cfg.v_head_dim).transpose(1, 2)
        k = torch.cat((kv[..., :nope], k_rot.expand(-1, cfg.num_heads, -1, -1)), -1)
        q = torch.cat((q_pass, q_rot), -1)
        out = _attend(q, k, kv[..., nope:], softmax_scale(cfg), offset, None)
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1))


def deepseek_route(logits, bias, n_group, topk_group, top_k, norm_topk_prob, scaling):
    """DeepseekV3TopkRouter: sigmoid scores; the bias picks experts (group-limited by each
    group's two best, discarded groups masked with -inf, never 0.0) but never weighs them.
    Returns ids [T,K], weights [T,K], kept-group mask [T,G]."""
    scores = logits.sigmoid()
    e = scores.shape[-1]
    choice = scores + bias
    group_scores = choice.view(-1, n_group, e // n_group).topk(2, dim=-1)[0].sum(-1)
    group_idx = torch.topk(group_scores, k=topk_group, dim=-1, sorted=False)[1]
    kept = torch.zeros_like(group_scores, dtype=torch.bool).scatter_(1, group_idx, True)
    expert_kept = kept.unsqueeze(-1).expand(-1, n_group, e // n_group).reshape(-1, e)
    choice = choice.masked_fill(~expert_kept, float("-inf"))
    ids = torch.topk(choice, k=top_k, dim=-1, sorted=False)[1]
    weights = scores.gather(1, ids)
    if norm_topk_prob:
        weights = weights / (weights.sum(-1, keepdim=True) + 1e-20)
    return ids, weights * scaling, kept


def softmax_route(logits, top_k, norm_topk_prob):
    """Mixtral / Qwen routers: softmax over all experts, top-k, optionally renormalised."""
    weights, ids = torch.topk(torch.softmax(logits, dim=-1), top_k, dim=-1)
    if norm_topk_prob:
        weights = weights / weights.sum(-1, keepdim=True)
    return ids, weights


class Router(nn.Module):
    """`mlp.gate`: weight [E, H] (+ DeepSeek's e_score_correction_bias [E], a buffer)."""

    def __init__(self, cfg):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(cfg.num_experts, cfg.hidden_size))
        if cfg.arch == "deepseek_v3":
            self.register_buffer("e_score_correction_bias", torch.zeros(cfg.num_experts))


class MoE(nn.Module):
    """Routed experts (+ DeepSeek's shared experts or Qwen2-MoE's sigmoid-gated shared expert).
    After each forward, `ids` holds the experts each token chose [T, K] and `load` how many
    token copies each expert received."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.gate = Router(cfg)
        self.experts = nn.ModuleList(MLP(cfg.hidden_size, cfg.expert_size) for _ in range(cfg.num_experts))
        if cfg.arch == "deepseek_v3" and cfg.shared_size:
            self.shared_experts = MLP(cfg.hidden_size, cfg.shared_size)
        elif cfg.arch == "qwen2_moe":
            self.shared_expert = MLP(cfg.hidden_size, cfg.shared_size)
            self.shared_expert_gate = nn.Linear(cfg.hidden_size, 1, bias=False)
        self.ids = self.load = None

    def forward(self, x):
        cfg = self.cfg
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        logits = x @ self.gate.weight.T
        if cfg.arch == "deepseek_v3":
            ids, weights, _ = deepseek_route(logits, self.gate.e_score_correction_bias, cfg.n_group,
                                             cfg.topk_group, cfg.top_k, cfg.norm_topk_prob,
                                             cfg.routed_scaling_factor)
        else:
            ids, weights = softmax_route(logits, cfg.top_k, cfg.norm_topk_prob)
        self.ids = ids
        self.load = torch.bincount(ids.flatten(), minlength=cfg.num_experts)
        out = torch.zeros_like(x)
        for e in torch.nonzero(self.load).flatten().tolist():
            token, slot = torch.where(ids == e)
            out = out.index_add(0, token, self.experts[e](x[token]) * weights[token, slot, None])
        if hasattr(self, "shared_experts"):
            out = out + self.shared_experts(x)
        elif hasattr(self, "shared_expert"):
            out = out + torch.sigmoid(self.shared_expert_gate(x)) * self.shared_expert(x)
        return out.reshape(shape)


class DecoderLayer(nn.Module):
    def __init__(self, cfg, i):
        super().__init__()
        self.self_attn = MLAttention(cfg) if cfg.arch == "deepseek_v3" else Attention(cfg)
        self.mlp = MoE(cfg) if cfg.moe_layers[i] else MLP(cfg.hidden_size, cfg.intermediate_size)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.eps)

    def forward(self, x, cos, sin, cache, offset):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache, offset)
        return x + self.mlp(self.post_attention_layernorm(x))


class Backbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg, i) for i in range(cfg.num_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.eps)


class KVCache:
    """Per layer [keys, values] (MLA: [latent, k_rot]), [B, heads, T, dim]; `length` tokens seen."""

    def __init__(self, num_layers):
        self.layers = [[None, None] for _ in range(num_layers)]
        self.length = 0


class CausalLM(nn.Module):
    """A whole model; its state_dict names are the Hugging Face per-expert names."""

    def __init__(self, cfg, dtype=torch.float64):
        super().__init__()
        self.cfg = cfg
        self.model = Backbone(cfg)
        if not cfg.tie_word_embeddings:
            self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        inv_freq, self.attention_factor = rope_frequencies(cfg)
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.to(dtype)

    def moe_blocks(self):
        return [layer.mlp for layer in self.model.layers if isinstance(layer.mlp, MoE)]

    def forward(self, ids, cache=None):
        """Logits [B, S, V] of token ids [B, S]; with a cache, positions continue after it."""
        offset = cache.length if cache is not None else 0
        x = self.model.embed_tokens(ids)
        pos = torch.arange(offset, offset + ids.shape[1], dtype=x.dtype)
        freqs = pos[:, None] * self.inv_freq.to(x.dtype)[None, :]
        cos, sin = freqs.cos() * self.attention_factor, freqs.sin() * self.attention_factor
        for i, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, cache.layers[i] if cache is not None else None, offset)
        if cache is not None:
            cache.length += ids.shape[1]
        x = self.model.norm(x)
        head = self.model.embed_tokens.weight if self.cfg.tie_word_embeddings else self.lm_head.weight
        return x @ head.T

    @torch.no_grad()
    def generate(self, prompt, max_new_tokens, eos_token_id=None):
        """Greedy decoding with the KV cache: (new token ids, logits [steps, V] of each step)."""
        cache = KVCache(self.cfg.num_layers)
        logits = self(torch.tensor([prompt]), cache)[0, -1]
        tokens, steps = [], [logits]
        for _ in range(max_new_tokens):
            token = int(torch.argmax(logits))
            tokens.append(token)
            if token == eos_token_id or len(tokens) == max_new_tokens:
                break
            logits = self(torch.tensor([[token]]), cache)[0, -1]
            steps.append(logits)
        return tokens, torch.stack(steps)


def init_weights(model, seed, std=0.02):
    """transformers' _init_weights: normal(0, std) matrices, unit norms, zero biases."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layernorm.weight") or name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * std)
        for moe in model.moe_blocks():
            if hasattr(moe.gate, "e_score_correction_bias"):
                moe.gate.e_score_correction_bias.zero_()


# ---------------------------------------------------------------- loading


def hf_state(cfg, tensors):
    """Checkpoint tensors -> this model's names: Mixtral's block_sparse_moe/w1/w3/w2 and
    transformers 5's packed experts split per expert; MTP layers and rotary caches dropped."""
    out = {}
    for name, value in tensors.items():
        if "rotary_emb" in name:
            continue
        parts = name.split(".")
        if parts[:2] == ["model", "layers"] and int(parts[2]) >= cfg.num_layers:
            continue
        name = name.replace(".block_sparse_moe.", ".mlp.")
        for old, new in ((".w1.", ".gate_proj."), (".w3.", ".up_proj."), (".w2.", ".down_proj.")):
            if ".mlp.experts." in name:
                name = name.replace(old, new)
        if name.endswith(".mlp.experts.gate_up_proj"):
            inner = value.shape[1] // 2
            for j in range(value.shape[0]):
                out[name[:-len("gate_up_proj")] + f"{j}.gate_proj.weight"] = value[j, :inner]
                out[name[:-len("gate_up_proj")] + f"{j}.up_proj.weight"] = value[j, inner:]
        elif name.endswith(".mlp.experts.down_proj"):
            for j in range(value.shape[0]):
                out[name[:-len("down_proj")] + f"{j}.down_proj.weight"] = value[j]
        else:
            out[name] = value
    return out


def load_model(model_dir, dtype=torch.float64):
    """CausalLM of a checkpoint directory, every tensor checked against the config."""
    cfg = ModelConfig.from_dir(model_dir)
    model = CausalLM(cfg, dtype)
    state = hf_state(cfg, load_tensors(model_dir, cfg.raw))
    want = model.state_dict()
    missing, unexpected = sorted(set(want) - set(state)), sorted(set(state) - set(want))
    if missing or unexpected:
        raise ValueError(f"{model_dir}: missing tensors {missing[:6]}, unexpected {unexpected[:6]}")
    for name, value in state.items():
        if tuple(value.shape) != tuple(want[name].shape):
            raise ValueError(f"{name}: shape {tuple(value.shape)}, config implies {tuple(want[name].shape)}")
        want[name] = torch.from_numpy(np.ascontiguousarray(value)).to(dtype)
    model.load_state_dict(want)
    return model.eval()


def cache_vs_full(model, ids, decode_steps):
    """Largest relative error between logits from the KV cache (prefill of `ids`, then
    `decode_steps` single-token steps on the greedy tokens) and recomputing the whole sequence."""
    with torch.no_grad():
        cache = KVCache(model.cfg.num_layers)
        seq = list(ids)
        got = [model(torch.tensor([seq]), cache)[0, -1]]
        for _ in range(decode_steps):
            seq.append(int(torch.argmax(got[-1])))
            got.append(model(torch.tensor([seq[-1:]]), cache)[0, -1])
        full = model(torch.tensor([seq]))[0, len(ids) - 1:]
        got = torch.stack(got)
        return float((got - full).abs().max() / full.abs().max()), seq


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model_dir")
    p.add_argument("--ids", required=True, help="comma-separated prompt token ids")
    p.add_argument("--max-new-tokens", type=int, default=16)
    p.add_argument("--dtype", choices=["f64", "f32"], default="f64")
    a = p.parse_args()
    torch.set_num_threads(1)
    model = load_model(a.model_dir, torch.float64 if a.dtype == "f64" else torch.float32)
    tokens, _ = model.generate([int(t) for t in a.ids.split(",")], a.max_new_tokens,
                               model.cfg.eos_token_id)
    print(",".join(map(str, tokens)))


if __name__ == "__main__":
    main()
