#!/usr/bin/python3
"""Whole-model generation speed: hexmoe against the PyTorch reference model.

Compiles a model directory (default: the shipped models/tiny/deepseek-v3-tiny)
with hexmoe-compile, then, A-B in one run (--pairs times), generates
--new-tokens greedy tokens after a --prompt-tokens prompt with hexmoe-run and
with tests/e2e/hf_reference.py's model in float32 (the same weights, PyTorch
with --threads threads, its own KV cache), and reports prefill and decode
tokens/s of each and their ratio (median over pairs, min..max), plus the
artifact size and hexmoe-run's peak RSS.

  scripts/bench_model.py [--model DIR] [--bin build/bin] [--threads 2] [--prompt-tokens 128]
                         [--new-tokens 64] [--pairs 3] [--weight-type fp8|int8]

--weight-type quantises hexmoe's copy at compile time (hexmoe-compile --weight-type); the
PyTorch side keeps the checkpoint's weights.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import hf_reference as R  # noqa: E402


def hexmoe_run(bindir, art, prompt, new_tokens, threads):
    # Peak RSS through GNU time where it is installed (Debian's `time`).
    timer = ["/usr/bin/time", "-f", "maxrss_kb=%M"] if os.path.exists("/usr/bin/time") else []
    cmd = timer + [os.path.join(bindir, "hexmoe-run"), art,
           "--prompt-ids=" + ",".join(map(str, prompt)), f"--max-new-tokens={new_tokens}", "--eos-id=-1",
           "--print-ids", f"--threads={threads}"]
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    m = re.search(r"prefill: (\d+) tokens in ([0-9.]+) ms .*decode: (\d+) tokens in ([0-9.]+) ms", p.stdout)
    rss = re.search(r"maxrss_kb=(\d+)", p.stderr)
    if not m:
        raise RuntimeError(f"unexpected hexmoe-run output: {p.stdout}{p.stderr}")
    prefill = int(m.group(1)) / (float(m.group(2)) / 1e3)
    decode = int(m.group(3)) / (float(m.group(4)) / 1e3)
    return prefill, decode, int(rss.group(1)) if rss else 0


def torch_run(model, prompt, new_tokens):
    with torch.no_grad():
        cache = R.KVCache(model.cfg.num_layers)
        start = time.perf_counter()
        logits = model(torch.tensor([prompt]), cache)[0, -1]
        prefill_s = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(new_tokens - 1):
            token = int(torch.argmax(logits))
            logits = model(torch.tensor([[token]]), cache)[0, -1]
        decode_s = time.perf_counter() - start
    return len(prompt) / prefill_s, (new_tokens - 1) / decode_s


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "tiny", "deepseek-v3-tiny"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--weight-type", choices=["fp8", "int8"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = R.load_model(a.model, torch.float32)
    vocab = model.cfg.vocab_size
    prompt = [(7 * i + 3) % vocab for i in range(a.prompt_tokens)]
    with tempfile.TemporaryDirectory(prefix="hexmoe-bench-model-") as work:
        art = os.path.join(work, "model.hxm")
        start = time.perf_counter()
        subprocess.run([os.path.join(a.bin, "hexmoe-compile"), a.model, "-o", art, "--quiet",
                        f"--max-seq-len={a.prompt_tokens + a.new_tokens}"] +
                       ([f"--weight-type={a.weight_type}"] if a.weight_type else []), check=True)
        compile_s = time.perf_counter() - start
        size = os.path.getsize(art)
        rows = {"hexmoe prefill": [], "hexmoe decode": [], "torch prefill": [], "torch decode": []}
        rss = 0
        for _ in range(a.pairs):
            p, d, rss = hexmoe_run(a.bin, art, prompt, a.new_tokens, a.threads)
            rows["hexmoe prefill"].append(p)
            rows["hexmoe decode"].append(d)
            p, d = torch_run(model, prompt, a.new_tokens)
            rows["torch prefill"].append(p)
            rows["torch decode"].append(d)
    memory = f"hexmoe-run peak RSS {rss / 1024:.1f} MB" if rss else "peak RSS not measured (no /usr/bin/time)"
    label = os.path.basename(a.model.rstrip('/')) + (f" ({a.weight_type})" if a.weight_type else "")
    print(f"{label}: compile {compile_s:.2f} s, artifact {size / 1024:.0f} KB, "
          f"{memory}; {a.threads} threads, prompt {a.prompt_tokens} tokens, {a.new_tokens} new tokens, "
          f"{a.pairs} A-B pairs")
    for phase in ("prefill", "decode"):
        h, t = rows[f"hexmoe {phase}"], rows[f"torch {phase}"]
        ratios = [x / y for x, y in zip(h, t)]
        print(f"  {phase:8s} hexmoe {median(h):9.1f} tok/s   torch {median(t):9.1f} tok/s   "
              f"ratio {median(ratios):.2f}x ({min(ratios):.2f}..{max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
