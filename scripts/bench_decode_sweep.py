#!/usr/bin/python3
"""Batched decode against the memory roof: the quarter-size Mixtral layer (H 1024, I 3584, 8
experts, top-2; 352 MB of f32 experts) at T = 1, 2, 4, ..., 256 tokens a call, uniform routing.

For each T, `hexmoe-run --repeat` times the layer (median of --reps calls after a warm-up) and the
script counts the expert bytes a call must read: every expert that at least one token picked, its
three matrices once (a kernel that streams each weight once per call whatever the tokens per
expert reads exactly this). GB/s over that, divided by `hexmoe-bench stream`'s read bandwidth
measured in the same run, is the fraction of the roof; GFLOP/s counts 2 x 3 x H x I per token
copy. Weights: --weight-type f32 (default) or bf16.

  scripts/bench_decode_sweep.py [--bin build/bin] [--threads 2] [--reps 20]
                                [--tokens 1,2,4,8,16,32,64,128,256] [--weight-type f32]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import layers  # noqa: E402
import reference  # noqa: E402
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--tokens", default="1,2,4,8,16,32,64,128,256")
    ap.add_argument("--weight-type", default="f32", choices=["f32", "bf16"])
    a = ap.parse_args()
    model = layers.QUARTER
    h, i, e, k = model["H"], model["I"], model["E"], model["K"]
    width = 4 if a.weight_type == "f32" else 2
    stream = subprocess.run([os.path.join(a.bin, "hexmoe-bench"), "stream", f"--threads={a.threads}"],
                            capture_output=True, text=True, check=True).stdout
    roof = float(re.search(r"read_gbps=([0-9.]+)", stream).group(1))
    print(f"read bandwidth (hexmoe-bench stream, {a.threads} threads): {roof:.1f} GB/s")
    print(f"{'T':>4s} {'experts':>7s} {'ms':>8s} {'GB/s':>7s} {'of roof':>8s} {'GFLOP/s':>8s}")
    with tempfile.TemporaryDirectory(prefix="hexmoe-sweep-") as work:
        src = os.path.join(work, "layer.mlir")
        with open(src, "w") as f:
            f.write(layers.mixtral_layer_mlir(model))
        art = os.path.join(work, "layer.hxm")
        subprocess.run([os.path.join(a.bin, "hexmoe-compile"), src, "-o", art, "--quiet",
                        f"--weight-type={a.weight_type}"], check=True)
        for t in [int(x) for x in a.tokens.split(",")]:
            arrays = layers.make_inputs(model, t, "uniform", 5 + t)
            paths = []
            for n, arr in enumerate(arrays):
                p = os.path.join(work, f"arg{n}.npy")
                np.save(p, arr)
                paths.append(p)
            out = subprocess.run([os.path.join(a.bin, "hexmoe-run"), art] + [f"--input=@{p}" for p in paths] +
                                 [f"--repeat={a.reps}", f"--threads={a.threads}", "--output=@/dev/null"],
                                 capture_output=True, text=True, check=True).stdout
            ms = float(re.search(r"median ([0-9.]+) ms", out).group(1))
            ids, _ = reference.mixtral_router(torch.from_numpy(arrays[0]), torch.from_numpy(arrays[1]))
            used = len(set(ids.flatten().tolist()))
            gbps = used * 3 * h * i * width / (ms * 1e-3) / 1e9
            gflops = 2 * 3 * h * i * t * k / (ms * 1e-3) / 1e9
            print(f"{t:4d} {used:7d} {ms:8.3f} {gbps:7.1f} {gbps / roof:7.0%} {gflops:8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
