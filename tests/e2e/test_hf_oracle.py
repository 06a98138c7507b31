#!/usr/bin/python3
"""Opt-in oracle: tests/e2e/hf_reference.py against Hugging Face transformers itself.

Needs .venv-oracle/ (scripts/make_oracle_venv.sh: PyPI's torch 2.x and transformers 5.x),
so it is not a ctest test. It re-runs itself under that venv's python:

    tests/e2e/test_hf_oracle.py

For DeepSeek-V3, Mixtral, Qwen2-MoE and Qwen3-MoE it builds tiny random models with
transformers (XxxConfig, XxxForCausalLM, seeded; norms, biases and DeepSeek's correction
bias randomised too), saves them with save_pretrained in f32 and bf16, runs them with
transformers (eager attention, its KV cache) and with the reference (float64, from the saved
files), and compares the logits after prefill (every position) and after each of 8 decode
steps: rel err < 1e-3 for f32, < 2e-2 for bf16 (transformers computing in bf16; the bf16
checkpoints are also run by transformers in f32, < 1e-3), greedy ids identical, and every
router choosing the same experts for every token. Under bf16 arithmetic a near-tie between
two experts may resolve otherwise: such tokens (at most 1 in 8) are counted and left out of
the bf16 logits comparison; in f32 none is allowed. Then transformers loads models/tiny/deepseek-v3-tiny and must generate the
reference's greedy tokens, and its tokenizer must encode the prompt as the golden file does.
With --bin BUILD/bin, hexmoe itself runs each saved checkpoint too (hexmoe-compile MODEL_DIR,
hexmoe-run --prompt-ids ... --dump-logits): its logits after prefill and each decode step
must match transformers' (computing in f32) to < 1e-3, and its greedy ids must be identical.
Prints one line per check and a summary; exits non-zero on any failure.
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
VENV = os.path.join(ROOT, ".venv-oracle")
if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        sys.exit("test_hf_oracle: no .venv-oracle/: run scripts/make_oracle_venv.sh first")
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])

import torch  # noqa: E402

sys.path.insert(0, HERE)
import hf_reference as R  # noqa: E402

import transformers  # noqa: E402
from transformers import (AutoModelForCausalLM, AutoTokenizer, DeepseekV3Config,  # noqa: E402
                          MixtralConfig, Qwen2MoeConfig, Qwen3MoeConfig)

TINY = os.path.join(ROOT, "models", "tiny", "deepseek-v3-tiny")
PROMPT = [3, 17, 5, 42, 9, 61, 2]
DECODE_STEPS = 8
TOL = {"float32": 1e-3, "bfloat16": 2e-2}

COMMON = dict(vocab_size=96, hidden_size=64, num_attention_heads=4, rms_norm_eps=1e-6,
              max_position_embeddings=512, initializer_range=0.1, tie_word_embeddings=False)
CASES = {
    "deepseek_v3": (DeepseekV3Config, dict(
        intermediate_size=96, moe_intermediate_size=32, num_hidden_layers=3, num_key_value_heads=4,
        n_routed_experts=16, n_group=4, topk_group=2, num_experts_per_tok=4, n_shared_experts=1,
        first_k_dense_replace=1, q_lora_rank=48, kv_lora_rank=32, qk_nope_head_dim=16,
        qk_rope_head_dim=8, v_head_dim=16, routed_scaling_factor=2.5, norm_topk_prob=True,
        num_nextn_predict_layers=0,
        rope_parameters=dict(rope_type="yarn", rope_theta=10000.0, factor=8.0,
                             original_max_position_embeddings=64, beta_fast=32, beta_slow=1,
                             mscale=1.0, mscale_all_dim=1.0))),
    "mixtral": (MixtralConfig, dict(
        intermediate_size=48, num_hidden_layers=2, num_key_value_heads=2, num_local_experts=6,
        num_experts_per_tok=2, sliding_window=6,
        rope_parameters=dict(rope_type="default", rope_theta=1e6))),
    "qwen2_moe": (Qwen2MoeConfig, dict(
        intermediate_size=80, moe_intermediate_size=24, shared_expert_intermediate_size=40,
        num_hidden_layers=3, num_key_value_heads=2, num_experts=8, num_experts_per_tok=3,
        norm_topk_prob=False, decoder_sparse_step=1, mlp_only_layers=[1],
        rope_parameters=dict(rope_type="default", rope_theta=10000.0))),
    "qwen3_moe": (Qwen3MoeConfig, dict(
        intermediate_size=80, moe_intermediate_size=24, num_hidden_layers=3,
        num_key_value_heads=2, head_dim=24, num_experts=8, num_experts_per_tok=3,
        norm_topk_prob=True, decoder_sparse_step=1,
        rope_parameters=dict(rope_type="linear", rope_theta=10000.0, factor=2.0))),
}


def build(arch, seed):
    cls, kwargs = CASES[arch]
    config = cls(**COMMON, **kwargs)
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
        for name, b in model.named_buffers():
            if name.endswith("e_score_correction_bias"):
                b.copy_(0.05 * torch.randn(b.shape, generator=gen))
    return model.eval()


def run_transformers(model_dir, dtype, prompt, steps):
    """Prefill logits [S, V], the last logits of prefill and each decode step [steps+1, V],
    greedy tokens, and the experts each router chose at each call ([calls][layers] [T, K])."""
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, attn_implementation="eager").eval()
    routes = []
    for layer in model.model.layers:
        if hasattr(layer.mlp, "gate") and hasattr(layer.mlp, "experts"):
            layer.mlp.gate.register_forward_hook(lambda mod, inp, out: routes[-1].append(out[2]))
    with torch.no_grad():
        routes.append([])
        out = model(torch.tensor([prompt]), use_cache=True)
        prefill = out.logits[0].double()
        cache, logits, tokens, last = out.past_key_values, [prefill[-1]], [], prefill[-1]
        for _ in range(steps):
            tokens.append(int(torch.argmax(last)))
            routes.append([])
            out = model(torch.tensor([[tokens[-1]]]), past_key_values=cache, use_cache=True)
            cache, last = out.past_key_values, out.logits[0, -1].double()
            logits.append(last)
        tokens.append(int(torch.argmax(last)))
    return prefill, torch.stack(logits), tokens, routes


def run_reference(model_dir, prompt, steps):
    """The same from the float64 reference, with its KV cache."""
    model = R.load_model(model_dir, torch.float64)
    routes = []
    with torch.no_grad():
        cache = R.KVCache(model.cfg.num_layers)
        prefill = model(torch.tensor([prompt]), cache)[0]
        routes.append([moe.ids for moe in model.moe_blocks()])
        logits, tokens, last = [prefill[-1]], [], prefill[-1]
        for _ in range(steps):
            tokens.append(int(torch.argmax(last)))
            last = model(torch.tensor([[tokens[-1]]]), cache)[0, -1]
            routes.append([moe.ids for moe in model.moe_blocks()])
            logits.append(last)
        tokens.append(int(torch.argmax(last)))
    return prefill, torch.stack(logits), tokens, routes


def routing_differs(tf_routes, ref_routes):
    """Per call, per token: whether any layer's router chose another set of experts."""
    out = []
    for tf_call, ref_call in zip(tf_routes, ref_routes):
        tokens = ref_call[0].shape[0] if ref_call else 1
        out.append([any(set(a[t].tolist()) != set(b[t].tolist()) for a, b in zip(tf_call, ref_call))
                    for t in range(tokens)])
    return out


def compare(check, label, tf_run, ref_run, tol, bf16_compute):
    """Rel err of prefill and decode logits over the tokens whose routing agrees; routing
    flips (a near-tie resolved otherwise under bf16 arithmetic) are counted, not compared."""
    tf_prefill, tf_steps, tf_tokens, tf_routes = tf_run
    ref_prefill, ref_steps, ref_tokens, ref_routes = ref_run
    flips = routing_differs(tf_routes, ref_routes)
    scale_p, scale_s = ref_prefill.abs().max(), ref_steps.abs().max()
    keep_p = [t for t, f in enumerate(flips[0]) if not f]
    keep_s = [0 if not flips[0][-1] else None] + [c for c in range(1, len(flips)) if not flips[c][0]]
    keep_s = [c for c in keep_s if c is not None]
    e_p = float((tf_prefill[keep_p] - ref_prefill[keep_p]).abs().max() / scale_p) if keep_p else float("nan")
    e_s = float((tf_steps[keep_s] - ref_steps[keep_s]).abs().max() / scale_s) if keep_s else float("nan")
    n_flips = sum(flips[0]) + sum(f[0] for f in flips[1:])
    n_total = len(flips[0]) + len(flips) - 1
    check(f"{label}: prefill logits", e_p < tol, f"rel err {e_p:.2e} (< {tol})")
    check(f"{label}: logits of {len(flips) - 1} decode steps", e_s < tol, f"rel err {e_s:.2e} (< {tol})")
    if bf16_compute:
        check(f"{label}: routing identical on all but at most 1 in 8 tokens", n_flips * 8 <= n_total,
              f"{n_flips} of {n_total} tokens routed otherwise")
    else:
        check(f"{label}: routing identical on every token", n_flips == 0,
              f"{n_flips} of {n_total} tokens routed otherwise")
    check(f"{label}: greedy ids identical", tf_tokens == ref_tokens,
          "" if tf_tokens == ref_tokens else f"transformers {tf_tokens} reference {ref_tokens}")
    return e_p, e_s, n_flips, n_total


def rel_err(a, b):
    return float((a - b).abs().max() / b.abs().max())


def layout(model_dir):
    names = set()
    for file in os.listdir(model_dir):
        if file.endswith(".safetensors"):
            names |= set(R.read_safetensors(os.path.join(model_dir, file)))
    if any(n.endswith("experts.gate_up_proj") for n in names):
        return "packed"
    return "legacy w1/w3/w2" if any(".w1." in n for n in names) else "per-expert"


def check_tiny(check, figures):
    with open(TINY + ".golden.json") as f:
        golden = json.load(f)
    n = golden["max_new_tokens"]
    tf_model = AutoModelForCausalLM.from_pretrained(TINY, dtype=torch.float32).eval()
    with torch.no_grad():
        out = tf_model.generate(torch.tensor([golden["prompt_ids"]]), max_new_tokens=n, do_sample=False,
                                min_new_tokens=n, eos_token_id=None, pad_token_id=1)
    tf_tokens = out[0, len(golden["prompt_ids"]):].tolist()
    check("tiny model: transformers generate() = reference greedy tokens", tf_tokens == golden["greedy_f64"],
          "" if tf_tokens == golden["greedy_f64"] else f"transformers {tf_tokens}")
    tf_run = run_transformers(TINY, torch.float32, golden["prompt_ids"], DECODE_STEPS)
    ref_run = run_reference(TINY, golden["prompt_ids"], DECODE_STEPS)
    figures.append(("deepseek-v3-tiny", "bf16 w, f32",
                    *compare(check, "tiny model, transformers in f32", tf_run, ref_run, 1e-3, False)))
    tok = AutoTokenizer.from_pretrained(TINY)
    ids = tok("The")["input_ids"]
    check("tiny model: AutoTokenizer encodes the golden prompt alike", ids == golden["prompt_ids"], f"{ids}")


def run_hexmoe(bindir, model_dir, work, prompt, steps):
    """hexmoe's last-prompt and decode-step logits [steps+1, V] and greedy tokens, or an error."""
    import subprocess
    import numpy as np
    art = model_dir + ".hxm"
    p = subprocess.run([os.path.join(bindir, "hexmoe-compile"), model_dir, "-o", art, "--max-seq-len=64", "--quiet"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr
    logits = os.path.join(work, "hexmoe_logits.npy")
    p = subprocess.run([os.path.join(bindir, "hexmoe-run"), art, "--prompt-ids=" + ",".join(map(str, prompt)),
                        f"--max-new-tokens={steps + 1}", "--eos-id=-1", "--print-ids", f"--dump-logits=@{logits}"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr
    tokens = [int(t) for t in p.stdout.splitlines()[0].split(",")]
    return (torch.from_numpy(np.load(logits)).double(), tokens), ""


def main():
    torch.set_num_threads(1)
    bindir = None
    if "--bin" in sys.argv:
        bindir = os.path.abspath(sys.argv[sys.argv.index("--bin") + 1])
    results, figures, hexmoe_figures = [], [], []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'}  {name}{'  ' + detail if detail else ''}", flush=True)

    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    with tempfile.TemporaryDirectory(prefix="hf_oracle_") as work:
        for arch in CASES:
            model = build(arch, seed=42)
            for dtype_name in ("float32", "bfloat16"):
                dtype = getattr(torch, dtype_name)
                directory = os.path.join(work, f"{arch}-{dtype_name}")
                model.to(dtype).save_pretrained(directory)
                ref = run_reference(directory, PROMPT, DECODE_STEPS)
                label = f"{arch} {dtype_name} ({layout(directory)} experts)"
                runs = [(dtype_name, dtype)] + ([("f32 compute", torch.float32)] if dtype_name == "bfloat16" else [])
                for compute, compute_dtype in runs:
                    tol = TOL[str(compute_dtype).split(".")[1]]
                    tf_run = run_transformers(directory, compute_dtype, PROMPT, DECODE_STEPS)
                    if bindir and compute_dtype == torch.float32:
                        got, error = run_hexmoe(bindir, directory, work, PROMPT, DECODE_STEPS)
                        if got is None:
                            check(f"hexmoe runs {label}", False, error)
                        else:
                            err = rel_err(got[0], tf_run[1])
                            hexmoe_figures.append((arch, dtype_name, err))
                            check(f"hexmoe {label}: logits vs transformers (f32 compute) rel err {err:.2e}",
                                  err < TOL["float32"])
                            check(f"hexmoe {label}: greedy ids {got[1]}", got[1] == tf_run[2],
                                  f"transformers {tf_run[2]}")
                    name = label if compute == dtype_name else f"{label}, transformers in f32"
                    figures.append((arch, dtype_name if compute == dtype_name else "bf16 w, f32",
                                    *compare(check, name, tf_run, ref, tol, compute_dtype == torch.bfloat16)))
                model.to(torch.float32)

        if os.path.exists(TINY + ".golden.json"):
            check_tiny(check, figures)
        else:
            check("shipped tiny model present (models/tiny/deepseek-v3-tiny)", False)

    print("\nsummary: max rel err of transformers' logits vs the float64 reference")
    for arch, dtype_name, e_prefill, e_steps, flips, total in figures:
        print(f"  {arch:18s} {dtype_name:12s} prefill {e_prefill:.2e}  decode {e_steps:.2e}"
              f"  routing differs on {flips}/{total} tokens")
    if hexmoe_figures:
        print("max rel err of hexmoe's logits vs transformers (f32 compute), prefill + decode steps")
        for arch, dtype_name, err in hexmoe_figures:
            print(f"  {arch:18s} {dtype_name:12s} {err:.2e}")
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
