#!/usr/bin/python3
"""Weight formats side by side: one model in f32, bf16, fp8 and int8, decode and prefill speed,
and the expert kernels' bandwidth against the machine's streaming roof, measured in one run.

Writes a seeded random Mixtral-style model (default: one layer of a quarter-size Mixtral, H 1024,
I 3584, 8 experts, top-2, vocab 512; --layers, --hidden, --inter to change it) as an f32 and a bf16
checkpoint, compiles it four ways (f32 and bf16 as stored; fp8 and int8 with hexmoe-compile
--weight-type, quantised at compile time), and, rotating through the formats --rounds times,
generates --new-tokens greedy tokens after a --prompt-tokens prompt with `hexmoe-run --profile`.
It reports per format: prefill and decode tokens/s (median over rounds), the decode step's time in
the expert kernels (gate/up and down) and the expert bytes they read per step (top_k experts x 3
matrices in the format's own bytes, scales included) as GB/s and as a fraction of the read
bandwidth that `hexmoe-bench stream` measures at the start of the run; then speed ratios to f32.

  scripts/bench_formats.py [--bin build/bin] [--threads 2] [--rounds 3] [--prompt-tokens 64]
                           [--new-tokens 64] [--layers 1] [--hidden 1024] [--inter 3584] [--json F]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import test_hf_reference as T  # noqa: E402

FORMATS = ["f32", "bf16", "fp8", "int8"]
# Bytes a weight of each format takes in the expert kernels, scales included:
# fp8 one f32 per 128x128 block, int8 one per 32 weights.
BYTES = {"f32": 4.0, "bf16": 2.0, "fp8": 1.0 + 4.0 / (128 * 128), "int8": 1.0 + 4.0 / 32}


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def stream_gbps(bindir, threads):
    p = subprocess.run([os.path.join(bindir, "hexmoe-bench"), "stream", f"--threads={threads}"],
                       capture_output=True, text=True, check=True)
    m = re.search(r"read_gbps=([0-9.]+)", p.stdout)
    if not m:
        raise RuntimeError(f"unexpected hexmoe-bench output: {p.stdout}{p.stderr}")
    return float(m.group(1))


def run(bindir, art, prompt, new_tokens, threads):
    p = subprocess.run([os.path.join(bindir, "hexmoe-run"), art, "--prompt-ids=" + ",".join(map(str, prompt)),
                        f"--max-new-tokens={new_tokens}", "--eos-id=-1", "--print-ids", f"--threads={threads}",
                        "--profile"], capture_output=True, text=True, check=True)
    m = re.search(r"prefill: (\d+) tokens in ([0-9.]+) ms .*decode: (\d+) tokens in ([0-9.]+) ms", p.stdout)
    if not m:
        raise RuntimeError(f"unexpected hexmoe-run output: {p.stdout}{p.stderr}")
    # Per decode step: the expert kernels' mean time.
    experts = sum(float(x) for x in re.findall(r"_expert_(?:gate_up|down)\s+\d+\s+\d+\s+([0-9.]+)", p.stdout))
    return (int(m.group(1)) / (float(m.group(2)) / 1e3), int(m.group(3)) / (float(m.group(4)) / 1e3), experts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--prompt-tokens", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--inter", type=int, default=3584)
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()
    cfg = dict(model_type="mixtral", vocab_size=512, hidden_size=a.hidden, intermediate_size=a.inter,
               num_hidden_layers=a.layers, num_attention_heads=8, num_key_value_heads=8, num_local_experts=8,
               num_experts_per_tok=2, rms_norm_eps=1e-5, rope_theta=1e6,
               max_position_embeddings=a.prompt_tokens + a.new_tokens)
    prompt = [(7 * i + 3) % cfg["vocab_size"] for i in range(a.prompt_tokens)]
    expert_weights = a.layers * cfg["num_experts_per_tok"] * 3 * a.hidden * a.inter
    with tempfile.TemporaryDirectory(prefix="hexmoe-bench-formats-") as work:
        print(f"writing a {a.layers}-layer model (H {a.hidden}, I {a.inter}, 8 experts, top-2) ...", flush=True)
        model = T.round_model(T.random_model(cfg, 1), torch.float32)
        for dtype in ("F32", "BF16"):
            T.write_model(os.path.join(work, dtype), cfg, T.checkpoint_tensors(model, dtype), 1)
        del model
        arts = {}
        for fmt in FORMATS:
            src = os.path.join(work, "BF16" if fmt == "bf16" else "F32")
            arts[fmt] = os.path.join(work, fmt + ".hxm")
            extra = [f"--weight-type={fmt}"] if fmt in ("fp8", "int8") else []
            subprocess.run([os.path.join(a.bin, "hexmoe-compile"), src, "-o", arts[fmt], "--quiet",
                            f"--max-seq-len={a.prompt_tokens + a.new_tokens}"] + extra, check=True)
        roof = stream_gbps(a.bin, a.threads)
        print(f"read bandwidth (hexmoe-bench stream, {a.threads} threads): {roof:.1f} GB/s", flush=True)
        results = {f: {"prefill": [], "decode": [], "experts_ms": []} for f in FORMATS}
        for r in range(a.rounds):
            for fmt in FORMATS:
                p, d, e = run(a.bin, arts[fmt], prompt, a.new_tokens, a.threads)
                results[fmt]["prefill"].append(p)
                results[fmt]["decode"].append(d)
                results[fmt]["experts_ms"].append(e)
            print(f"round {r + 1}/{a.rounds} done", flush=True)
    print(f"{a.threads} threads, prompt {a.prompt_tokens} tokens, {a.new_tokens} new tokens, "
          f"{a.rounds} rounds; expert weights read per decode step: {expert_weights / 1e6:.1f} M")
    print(f"{'format':6s} {'prefill tok/s':>14s} {'decode tok/s':>13s} {'expert ms/step':>15s} "
          f"{'expert GB/s':>12s} {'of roof':>8s} {'decode vs f32':>14s}")
    summary = {"stream_read_gbps": roof, "threads": a.threads, "config": cfg, "formats": {}}
    base = median(results["f32"]["decode"])
    for fmt in FORMATS:
        p, d, e = (median(results[fmt][k]) for k in ("prefill", "decode", "experts_ms"))
        gbps = expert_weights * BYTES[fmt] / (e / 1e3) / 1e9 if e > 0 else 0.0
        print(f"{fmt:6s} {p:14.1f} {d:13.1f} {e:15.3f} {gbps:12.1f} {gbps / roof:7.0%} {d / base:13.2f}x")
        summary["formats"][fmt] = {"prefill_tok_s": p, "decode_tok_s": d, "expert_ms_per_step": e,
                                   "expert_gbps": gbps, "roof_fraction": gbps / roof}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
