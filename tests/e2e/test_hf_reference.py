#!/usr/bin/python3
"""Checks tests/e2e/hf_reference.py, the whole-model torch reference, on its own.

Needs only Debian's python3-numpy and python3-torch. Seeded; tolerances:
  - checkpoints: tiny random DeepSeek-V3, Mixtral, Qwen2-MoE and Qwen3-MoE models written
    with the reference's numpy safetensors writer in f32 (per-expert names, hub config
    spelling, Mixtral's legacy block_sparse_moe names) and bf16 (transformers 5's packed
    experts and config spelling, sharded), loaded back: logits equal the in-memory model's
    (rel err < 1e-12, float64);
  - the KV-cache path (prefill, then 8 decode steps) equals recomputing the whole sequence:
    rel err < 1e-6 in float64 (Mixtral with a sliding window shorter than the sequence);
  - DeepSeek's group-limited routing with a -1.5 correction bias on three of four experts per
    group: every selected expert lies in a kept group (masking with 0.0 would break this, and
    the case checks that it would);
  - FP8 e4m3 with 128x128 block scales on a 300x200 weight (partial edge blocks; the weight
    and its scale in different shards) equals a float64 loop with its own e4m3 decoder, exactly;
  - a DeepSeek checkpoint with FP8 experts and quantization_config loads to the model built
    from the dequantised weights (rel err < 1e-12);
  - the shipped models/tiny/deepseek-v3-tiny: its greedy tokens on a fixed prompt equal
    models/tiny/deepseek-v3-tiny.golden.json, in float64 and float32.
"""
import json
import math
import os
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import hf_reference as R  # noqa: E402

TINY = os.path.join(ROOT, "models", "tiny", "deepseek-v3-tiny")
PROMPT = [3, 17, 5, 42, 9]

CONFIGS = {
    "deepseek_v3": dict(
        model_type="deepseek_v3", vocab_size=96, hidden_size=48, intermediate_size=80,
        moe_intermediate_size=24, num_hidden_layers=3, num_attention_heads=4,
        num_key_value_heads=4, n_routed_experts=16, n_group=4, topk_group=2,
        num_experts_per_tok=4, n_shared_experts=1, first_k_dense_replace=1, q_lora_rank=32,
        kv_lora_rank=24, qk_nope_head_dim=12, qk_rope_head_dim=8, v_head_dim=16,
        routed_scaling_factor=2.5, norm_topk_prob=True, max_position_embeddings=512,
        rms_norm_eps=1e-6, rope_theta=10000.0,
        rope_scaling=dict(type="yarn", factor=8.0, original_max_position_embeddings=64,
                          beta_fast=32, beta_slow=1, mscale=1.0, mscale_all_dim=1.0)),
    "mixtral": dict(
        model_type="mixtral", vocab_size=96, hidden_size=48, intermediate_size=40,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        num_local_experts=6, num_experts_per_tok=2, sliding_window=6, rms_norm_eps=1e-5,
        rope_theta=1e6, max_position_embeddings=256),
    "qwen2_moe": dict(
        model_type="qwen2_moe", vocab_size=96, hidden_size=48, intermediate_size=64,
        moe_intermediate_size=20, shared_expert_intermediate_size=36, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, num_experts=8, num_experts_per_tok=3,
        norm_topk_prob=False, decoder_sparse_step=1, mlp_only_layers=[1], rms_norm_eps=1e-6,
        rope_theta=10000.0, max_position_embeddings=256),
    "qwen3_moe": dict(
        model_type="qwen3_moe", vocab_size=96, hidden_size=48, intermediate_size=64,
        moe_intermediate_size=20, num_hidden_layers=3, num_attention_heads=4,
        num_key_value_heads=2, head_dim=16, num_experts=8, num_experts_per_tok=3,
        norm_topk_prob=True, decoder_sparse_step=2, rms_norm_eps=1e-6, rope_theta=10000.0,
        max_position_embeddings=256, rope_scaling=dict(type="linear", factor=2.0)),
}


def v5_spelling(cfg):
    """The same config as transformers 5 writes it: rope_parameters, dtype, num_local_experts."""
    cfg = dict(cfg)
    rope = dict(cfg.pop("rope_scaling", None) or {"rope_type": "default"})
    rope["rope_type"] = rope.pop("type", rope.get("rope_type"))
    rope["rope_theta"] = cfg.pop("rope_theta")
    cfg["rope_parameters"] = rope
    if cfg["model_type"] == "deepseek_v3":
        cfg["num_local_experts"] = cfg.pop("n_routed_experts")
    cfg["dtype"] = "bfloat16"
    return cfg


def random_model(cfg, seed):
    """A float64 CausalLM with random weights, norms near 1, random biases and correction bias."""
    model = R.CausalLM(R.ModelConfig(cfg), torch.float64)
    R.init_weights(model, seed, std=0.15)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
        for moe in model.moe_blocks():
            if hasattr(moe.gate, "e_score_correction_bias"):
                moe.gate.e_score_correction_bias.copy_(
                    0.05 * torch.randn(cfg["n_routed_experts"], generator=gen, dtype=torch.float64))
    return model.eval()


def round_model(model, dtype):
    """The model with every tensor rounded to f32 or bf16, as the checkpoint will hold it."""
    with torch.no_grad():
        for t in model.state_dict().values():  # not inv_freq, which no checkpoint holds
            t.copy_(t.to(dtype).to(torch.float64))
    return model


def checkpoint_tensors(model, dtype, packed=False, legacy_mixtral=False):
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    if packed:
        for layer in range(model.cfg.num_layers):
            pre = f"model.layers.{layer}.mlp.experts."
            if pre + "0.gate_proj.weight" not in state:
                continue
            e = model.cfg.num_experts
            gate_up = [np.concatenate([state.pop(pre + f"{j}.gate_proj.weight"),
                                       state.pop(pre + f"{j}.up_proj.weight")]) for j in range(e)]
            state[pre + "gate_up_proj"] = np.stack(gate_up)
            state[pre + "down_proj"] = np.stack([state.pop(pre + f"{j}.down_proj.weight") for j in range(e)])
    if legacy_mixtral:
        renamed = {}
        for k, v in state.items():
            k = k.replace(".mlp.", ".block_sparse_moe.")
            for new, old in ((".w1.", ".gate_proj."), (".w3.", ".up_proj."), (".w2.", ".down_proj.")):
                k = k.replace(old, new)
            renamed[k] = v
        state = renamed
    if dtype == "BF16":
        return {k: ("BF16", R.bf16_bits(v.astype(np.float32))) for k, v in state.items()}
    if dtype == "F16":
        return {k: ("F16", v.astype(np.float16)) for k, v in state.items()}
    return {k: ("F32", v.astype(np.float32)) for k, v in state.items()}


def block_scales(weight, block, top):
    """f32 scales [ceil(R/br), ceil(C/bc)]: each block's largest magnitude over `top` (at least 1e-30)."""
    rows, cols = weight.shape
    br, bc = block
    scale = np.empty((-(-rows // br), -(-cols // bc)), dtype=np.float32)
    for i in range(scale.shape[0]):
        for j in range(scale.shape[1]):
            amax = float(np.abs(weight[i * br:(i + 1) * br, j * bc:(j + 1) * bc]).max())
            scale[i, j] = max(amax, 1e-30) / top
    return scale


def fp8_quantize(weight, block):
    """[R, C] float weights -> (e4m3fn codes, f32 scales [ceil(R/br), ceil(C/bc)]) as DeepSeek's FP8
    checkpoints hold them and models/weights/quantize.h makes them: each block's scale is its largest
    magnitude over 448, codes the nearest e4m3fn value (ties to the even code)."""
    rows, cols = weight.shape
    scale = block_scales(weight, block, 448.0)
    full = np.repeat(np.repeat(scale.astype(np.float64), block[0], axis=0), block[1], axis=1)[:rows, :cols]
    x = weight / full
    positive = R.E4M3_VALUES[:127]  # codes 0x00..0x7E, increasing
    mag = np.abs(x)
    hi = np.clip(np.searchsorted(positive, mag), 1, 126)
    lo = hi - 1
    below, above = mag - positive[lo], positive[hi] - mag
    code = np.where((below < above) | ((below == above) & (lo % 2 == 0)), lo, hi)
    return (code | (np.signbit(x).astype(np.int64) << 7)).astype(np.uint8), scale


def int8_quantize(weight, block=(1, 32)):
    """[R, C] float weights -> (int8 codes, f32 scales) as `--weight-type=int8` makes them: scale = largest
    magnitude of the group over 127, code = round(w / scale) (ties to even)."""
    rows, cols = weight.shape
    scale = block_scales(weight, block, 127.0)
    full = np.repeat(np.repeat(scale.astype(np.float64), block[0], axis=0), block[1], axis=1)[:rows, :cols]
    return np.clip(np.rint(weight / full), -127, 127).astype(np.int8), scale


def dequantize(codes, scale, block):
    rows, cols = codes.shape
    full = np.repeat(np.repeat(scale.astype(np.float64), block[0], axis=0), block[1], axis=1)[:rows, :cols]
    values = R.E4M3_VALUES[codes] if codes.dtype == np.uint8 else codes.astype(np.float64)
    return values * full


def compile_time_quantized_bytes(tensors, fmt, kv_lora_rank=0):
    """The bytes `--weight-type=fp8|int8` embeds for the projections: a byte a weight, four a scale."""
    block = (128, 128) if fmt == "fp8" else (1, 32)
    total = 0
    for name, (_, arr) in tensors.items():
        if not (name.startswith("model.layers.") and name.endswith(("_proj.weight", "_proj_with_mqa.weight"))):
            continue
        rows, cols = arr.shape
        parts = [kv_lora_rank, rows - kv_lora_rank] if name.endswith("kv_a_proj_with_mqa.weight") else [rows]
        total += sum(r * cols + 4 * -(-r // block[0]) * -(-cols // block[1]) for r in parts)
    return total


def compile_time_quantized(tensors, fmt, kv_lora_rank=0):
    """{name: float64 values} of what `hexmoe-compile --weight-type=fp8|int8` makes of each projection of an
    f32 checkpoint (per-expert tensors): each tensor quantised on its own, kv_a_proj_with_mqa as its two row
    blocks (the latent rows and the rotary rows, as the decoder splits it)."""
    block = (128, 128) if fmt == "fp8" else (1, 32)
    quantize = fp8_quantize if fmt == "fp8" else int8_quantize
    out = {}
    for name, (dtype, arr) in tensors.items():
        if not (name.startswith("model.layers.") and name.endswith(("_proj.weight", "_proj_with_mqa.weight"))):
            continue
        w = R.decode(dtype, arr)
        parts = [w[:kv_lora_rank], w[kv_lora_rank:]] if name.endswith("kv_a_proj_with_mqa.weight") else [w]
        out[name] = np.concatenate([dequantize(*quantize(p, block), block) for p in parts])
    return out


def fp8_checkpoint_tensors(tensors, block):
    """The checkpoint with every projection of the decoder layers in block-scaled FP8 (DeepSeek's hub
    layout: `NAME` F8_E4M3 and `NAME_scale_inv` F32); embeddings, norms, the router and lm_head stay."""
    out = {}
    for name, (dtype, arr) in tensors.items():
        if name.startswith("model.layers.") and name.endswith(("_proj.weight", "_proj_with_mqa.weight")):
            codes, scale = fp8_quantize(R.decode(dtype, arr).astype(np.float64), block)
            out[name] = ("F8_E4M3", codes)
            out[name + "_scale_inv"] = ("F32", scale)
        else:
            out[name] = (dtype, arr)
    return out


def write_model(directory, cfg, tensors, shards, scales_apart=False):
    R.save_checkpoint(directory, tensors, shards=shards, scales_apart=scales_apart)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f)


def rel_err(a, b):
    return float((a - b).abs().max() / b.abs().max())


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        print(f"{'PASS' if ok else 'FAIL'}  {name}{'  ' + detail if detail else ''}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def check_architectures(res, work):
    for arch, cfg in CONFIGS.items():
        variants = [("f32", "F32", cfg, False, False, 1), ("bf16-packed", "BF16", v5_spelling(cfg), True, False, 2)]
        if arch == "mixtral":
            variants.append(("f32-legacy-names", "F32", cfg, False, True, 1))
        for label, dtype, spelled, packed, legacy, shards in variants:
            model = random_model(cfg, seed=7)
            round_model(model, torch.float32 if dtype == "F32" else torch.bfloat16)
            directory = os.path.join(work, f"{arch}-{label}")
            write_model(directory, spelled, checkpoint_tensors(model, dtype, packed, legacy), shards)
            loaded = R.load_model(directory, torch.float64)
            with torch.no_grad():
                want = model(torch.tensor([PROMPT]))
                got = loaded(torch.tensor([PROMPT]))
            err = rel_err(got, want)
            res.check(f"{arch} {label}: checkpoint loads to the same model", err < 1e-12, f"rel err {err:.1e}")
            err, seq = R.cache_vs_full(loaded, PROMPT, 8)
            res.check(f"{arch} {label}: KV cache = full recompute (prefill + 8 decode steps)",
                      err < 1e-6 and len(seq) == len(PROMPT) + 8, f"rel err {err:.1e}")
    # The two spellings of one config read alike.
    for arch, cfg in CONFIGS.items():
        a, b = R.ModelConfig(cfg), R.ModelConfig(v5_spelling(cfg))
        keys = ["rope_theta", "rope_type", "rope", "num_experts", "moe_layers", "rope_original_max"]
        same = all(getattr(a, k) == getattr(b, k) for k in keys if k != "rope") and \
            {k: v for k, v in a.rope.items() if k != "type"} == \
            {k: v for k, v in b.rope.items() if k not in ("rope_type", "rope_theta")}
        res.check(f"{arch}: hub and transformers 5 config spellings agree", same)
    qwen2 = R.ModelConfig(CONFIGS["qwen2_moe"])
    res.check("qwen2_moe: mlp_only_layers make layer 1 dense", qwen2.moe_layers == [True, False, True])
    qwen3 = R.ModelConfig(CONFIGS["qwen3_moe"])
    res.check("qwen3_moe: decoder_sparse_step 2 makes layer 1 the MoE one", qwen3.moe_layers == [False, True, False])


def check_sliding_window_matters(res):
    """The Mixtral case exercises its window: without it the logits differ."""
    model = random_model(CONFIGS["mixtral"], seed=7)
    seq = torch.tensor([PROMPT + PROMPT])
    with torch.no_grad():
        windowed = model(seq)
        model.cfg.sliding_window = None
        unwindowed = model(seq)
        model.cfg.sliding_window = CONFIGS["mixtral"]["sliding_window"]
    res.check("mixtral: the sliding window changes logits past it", rel_err(windowed, unwindowed) > 1e-3)


def check_group_masking(res):
    torch.manual_seed(11)
    n_group, per_group, topk_group, top_k = 4, 4, 2, 4
    e = n_group * per_group
    logits = torch.randn(256, e, dtype=torch.float64) * 2
    bias = torch.full((e,), -1.5, dtype=torch.float64)
    bias[::per_group] = 0.0  # one unbiased expert per group
    ids, weights, kept = R.deepseek_route(logits, bias, n_group, topk_group, top_k, True, 2.5)
    in_kept = kept.gather(1, ids // per_group)
    res.check("deepseek routing: every selected expert lies in a kept group", bool(in_kept.all()))
    scores = logits.sigmoid()
    res.check("deepseek routing: weights are the unbiased scores, normalised and scaled",
              rel_err(weights, scores.gather(1, ids) / scores.gather(1, ids).sum(1, keepdim=True) * 2.5) < 1e-12)
    # Masking discarded groups with 0.0 (the bug) picks experts from them in this case.
    choice = (scores + bias).masked_fill(~kept.repeat_interleave(per_group, 1), 0.0)
    zero_ids = torch.topk(choice, top_k, dim=-1)[1]
    res.check("deepseek routing: the case tells -inf from 0.0 masking",
              not bool(kept.gather(1, zero_ids // per_group).all()))
    # The whole model with that bias: routing still from kept groups only, cache still exact.
    cfg = CONFIGS["deepseek_v3"]
    model = random_model(cfg, seed=3)
    for moe in model.moe_blocks():
        moe.gate.e_score_correction_bias.copy_(bias)
    err, _ = R.cache_vs_full(model, PROMPT, 8)
    res.check("deepseek_v3 with the -1.5 bias: KV cache = full recompute", err < 1e-6, f"rel err {err:.1e}")


def e4m3_loop(byte):
    """An e4m3fn decoder written from the format, independent of the reference's table."""
    sign = -1.0 if byte >> 7 else 1.0
    exp, man = (byte >> 3) & 15, byte & 7
    if exp == 0:
        return sign * math.ldexp(man, -9)
    return sign * math.ldexp(8 + man, exp - 10)


def check_fp8(res, work):
    rng = np.random.default_rng(5)
    known = {0x38: 1.0, 0xB8: -1.0, 0x7E: 448.0, 0x01: 2.0 ** -9, 0x08: 2.0 ** -6, 0x00: 0.0}
    res.check("e4m3: known encodings decode exactly",
              all(R.E4M3_VALUES[b] == v for b, v in known.items()) and np.isnan(R.E4M3_VALUES[0x7F]))
    codes = np.array([b for b in range(256) if b & 0x7F != 0x7F], dtype=np.uint8)
    shapes = {"a.weight": (300, 200), "b.weight": (128, 256), "c.weight": (129, 1)}
    tensors, shard_of = {}, {}
    for i, (name, shape) in enumerate(shapes.items()):
        grid = (-(-shape[0] // 128), -(-shape[1] // 128))
        tensors[name] = ("F8_E4M3", rng.choice(codes, size=shape))
        scale = rng.uniform(1e-4, 2e-2, size=grid).astype(np.float32)
        tensors[name + "_scale_inv"] = ("F32", scale) if i != 1 else ("BF16", R.bf16_bits(scale))
        shard_of[name], shard_of[name + "_scale_inv"] = i % 2, (i + 1) % 2  # never in one shard
    tensors["norm.weight"] = ("BF16", R.bf16_bits(rng.normal(size=200).astype(np.float32)))
    shard_of["norm.weight"] = 0
    directory = os.path.join(work, "fp8")
    os.makedirs(directory)
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    for s, file in enumerate(files):
        R.write_safetensors(os.path.join(directory, file),
                            {n: t for n, t in tensors.items() if shard_of[n] == s})
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": {n: files[s] for n, s in shard_of.items()}}, f)
    loaded = R.load_tensors(directory, {"quantization_config": {"quant_method": "fp8", "fmt": "e4m3",
                                                                "weight_block_size": [128, 128]}})
    res.check("fp8 checkpoint: scales are consumed, not listed as weights",
              sorted(loaded) == ["a.weight", "b.weight", "c.weight", "norm.weight"])
    for name, shape in shapes.items():
        bits = tensors[name][1]
        dtype, sbits = tensors[name + "_scale_inv"]
        scale = sbits.astype(np.float64) if dtype == "F32" else \
            (sbits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        want = np.empty(shape)
        for r in range(shape[0]):
            for c in range(shape[1]):
                want[r, c] = e4m3_loop(int(bits[r, c])) * scale[r // 128, c // 128]
        ok = np.array_equal(loaded[name], want)
        res.check(f"fp8 {name} {shape[0]}x{shape[1]} ({dtype} scales): dequant = float64 loop", ok,
                  f"max abs diff {np.abs(loaded[name] - want).max():.1e}")
    # The wrong block rule (block = rows / scale rows) mis-scales exactly these shapes.
    bad = R.E4M3_VALUES[tensors["a.weight"][1]] * np.repeat(
        np.repeat(tensors["a.weight_scale_inv"][1].astype(np.float64), 100, 0), 100, 1)
    res.check("fp8: the case tells the 128-block rule from rows/scale-rows", not np.array_equal(bad, loaded["a.weight"]))


def check_fp8_model(res, work):
    """A DeepSeek checkpoint whose experts are FP8 (quantization_config) loads dequantised."""
    cfg = dict(CONFIGS["deepseek_v3"], quantization_config={
        "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [16, 32]})
    model = random_model(CONFIGS["deepseek_v3"], seed=9)
    round_model(model, torch.float32)
    tensors = checkpoint_tensors(model, "F32")
    rng = np.random.default_rng(9)
    codes = np.array([b for b in range(256) if b & 0x7F != 0x7F and (b >> 3) & 15 >= 4], dtype=np.uint8)
    state = model.state_dict()
    with torch.no_grad():
        for name in [n for n in tensors if ".experts." in n]:
            rows, cols = tensors[name][1].shape
            bits = rng.choice(codes, size=(rows, cols))
            scale = rng.uniform(0.01, 0.05, size=(-(-rows // 16), -(-cols // 32))).astype(np.float32)
            tensors[name] = ("F8_E4M3", bits)
            tensors[name + "_scale_inv"] = ("F32", scale)
            state[name].copy_(torch.from_numpy(R.dequant_fp8_block(bits, scale.astype(np.float64), (16, 32))))
    directory = os.path.join(work, "deepseek-fp8")
    write_model(directory, cfg, tensors, shards=2)
    loaded = R.load_model(directory, torch.float64)
    with torch.no_grad():
        err = rel_err(loaded(torch.tensor([PROMPT])), model(torch.tensor([PROMPT])))
    res.check("deepseek_v3 with FP8 experts (16x32 blocks, partial): loads dequantised", err < 1e-12,
              f"rel err {err:.1e}")


def check_bf16(res):
    x = np.array([1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5e-3, 3.0e38, 1e-40], dtype=np.float32)
    want = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    res.check("bf16: rounding to nearest even matches torch", np.array_equal(R.bf16_bits(x), want))


def check_tiny_model(res):
    golden_path = TINY + ".golden.json"
    if not os.path.exists(os.path.join(TINY, "config.json")) or not os.path.exists(golden_path):
        res.check("shipped tiny model present (models/tiny/deepseek-v3-tiny)", False)
        return
    with open(golden_path) as f:
        golden = json.load(f)
    raw = R.open_checkpoint(TINY)
    dtypes = {n: d for n, (d, _) in raw.items()}
    f32 = sorted(n for n, d in dtypes.items() if d == "F32")
    res.check("tiny model: router weights and correction biases f32, the rest bf16",
              all(n.endswith(("mlp.gate.weight", "e_score_correction_bias")) for n in f32) and
              all(d == "BF16" for n, d in dtypes.items() if n not in f32) and len(f32) > 0)
    with open(os.path.join(TINY, "model.safetensors.index.json")) as f:
        shards = set(json.load(f)["weight_map"].values())
    res.check("tiny model: two shards", len(shards) == 2)
    for dtype, key in ((torch.float64, "greedy_f64"), (torch.float32, "greedy_f32")):
        model = R.load_model(TINY, dtype)
        tokens, _ = model.generate(golden["prompt_ids"], golden["max_new_tokens"])
        res.check(f"tiny model: greedy tokens ({key[-3:]}) = golden", tokens == golden[key],
                  "" if tokens == golden[key] else f"got {tokens}")
    err, _ = R.cache_vs_full(R.load_model(TINY, torch.float64), golden["prompt_ids"], 8)
    res.check("tiny model: KV cache = full recompute", err < 1e-6, f"rel err {err:.1e}")


def main():
    torch.set_num_threads(1)
    res = Results()
    with tempfile.TemporaryDirectory(prefix="hf_reference_") as work:
        check_bf16(res)
        check_architectures(res, work)
        check_sliding_window_matters(res)
        check_group_masking(res)
        check_fp8(res, work)
        check_fp8_model(res, work)
        check_tiny_model(res)
    print(f"{res.passed} passed, {res.failed} failed")
    return 0 if res.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
