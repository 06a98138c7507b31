#!/usr/bin/python3
"""Batched decode and prefill against the roofline: the quarter-size Mixtral layer (H 1024, I 3584,
8 experts, top-2; 352 MB of f32 experts) at T = 1, 2, 4, ..., 256, 512 and 2048 tokens a call,
uniform routing.

For each T, `hexmoe-run --repeat` times the layer (median of --reps calls after a warm-up) and the
script counts the expert bytes a call must read: every expert that at least one token picked, its
three matrices once (a kernel that streams each weight once per call whatever the tokens per
expert reads exactly this). GB/s over that, divided by `hexmoe-bench stream`'s read bandwidth
measured in the same run, is the fraction of the memory roof; GFLOP/s counts 2 x 3 x H x I per
token copy, over `hexmoe-bench fma` (the FMA throughput measured in the same run) the fraction
of the compute roof. "of roofline" is the time the slower of the two roofs allows over the
measured time. OpenBLAS (through torch.mm, same threads) runs only the layer's GEMMs on exactly
the row groups the router produced, in the same run: the dense peer prefill is measured
against. Weights: --weight-type f32 (default) or bf16. With --baseline-bin OTHER/bin the layer is
also compiled by that build's hexmoe-compile and both artifacts run alternately (--pairs times
each, same hexmoe-run), so two versions of the kernels compare A-B in one run; "ms" is then the
best of the pairs' medians for each.

  scripts/bench_decode_sweep.py [--bin build/bin] [--threads 2] [--reps 20]
                                [--tokens 1,2,4,8,16,32,64,128,256,512,2048] [--weight-type f32]
                                [--json results.json] [--baseline-bin OLD/bin] [--pairs 3]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import bench_layer  # noqa: E402
import layers  # noqa: E402
import reference  # noqa: E402
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--tokens", default="1,2,4,8,16,32,64,128,256,512,2048")
    ap.add_argument("--weight-type", default="f32", choices=["f32", "bf16"])
    ap.add_argument("--json", help="also write the rows here")
    ap.add_argument("--baseline-bin", help="also time the layer as this build's hexmoe-compile compiles it, A-B")
    ap.add_argument("--pairs", type=int, default=3, help="A-B alternations with --baseline-bin")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = layers.QUARTER
    h, i, e, k = model["H"], model["I"], model["E"], model["K"]
    width = 4 if a.weight_type == "f32" else 2
    stream = subprocess.run([os.path.join(a.bin, "hexmoe-bench"), "stream", f"--threads={a.threads}"],
                            capture_output=True, text=True, check=True).stdout
    roof = float(re.search(r"read_gbps=([0-9.]+)", stream).group(1))
    fma = subprocess.run([os.path.join(a.bin, "hexmoe-bench"), "fma", f"--threads={a.threads}"],
                         capture_output=True, text=True, check=True).stdout
    peak = float(re.search(r"fma_gflops=([0-9.]+)", fma).group(1))
    print(f"read bandwidth (hexmoe-bench stream, {a.threads} threads): {roof:.1f} GB/s; "
          f"FMA throughput (hexmoe-bench fma): {peak:.1f} GFLOP/s")
    print(f"{'T':>5s} {'experts':>7s} {'ms':>9s} {'GB/s':>6s} {'of mem':>6s} {'GFLOP/s':>7s} {'of fma':>6s} "
          f"{'of roofline':>11s} {'OpenBLAS ms':>11s} {'OpenBLAS/hexmoe':>15s}" +
          (f" {'baseline ms':>11s} {'baseline/this':>13s}" if a.baseline_bin else ""))
    rows = []
    with tempfile.TemporaryDirectory(prefix="hexmoe-sweep-") as work:
        src = os.path.join(work, "layer.mlir")
        with open(src, "w") as f:
            f.write(layers.mixtral_layer_mlir(model))
        art = os.path.join(work, "layer.hxm")
        subprocess.run([os.path.join(a.bin, "hexmoe-compile"), src, "-o", art, "--quiet",
                        f"--weight-type={a.weight_type}"], check=True)
        base_art = os.path.join(work, "baseline.hxm")
        if a.baseline_bin:
            subprocess.run([os.path.join(a.baseline_bin, "hexmoe-compile"), src, "-o", base_art, "--quiet",
                            f"--weight-type={a.weight_type}"], check=True)
        for t in [int(x) for x in a.tokens.split(",")]:
            arrays = layers.make_inputs(model, t, "uniform", 5 + t)
            paths = []
            for n, arr in enumerate(arrays):
                p = os.path.join(work, f"arg{n}.npy")
                np.save(p, arr)
                paths.append(p)

            def median_ms(artifact):
                out = subprocess.run([os.path.join(a.bin, "hexmoe-run"), artifact] +
                                     [f"--input=@{p}" for p in paths] +
                                     [f"--repeat={a.reps}", f"--threads={a.threads}", "--output=@/dev/null"],
                                     capture_output=True, text=True, check=True).stdout
                return float(re.search(r"median ([0-9.]+) ms", out).group(1))
            if a.baseline_bin:
                this, base = [], []
                for _ in range(a.pairs):
                    this.append(median_ms(art))
                    base.append(median_ms(base_art))
                ms, base_ms = min(this), min(base)
            else:
                ms, base_ms = median_ms(art), None
            ids, _ = reference.mixtral_router(torch.from_numpy(arrays[0]), torch.from_numpy(arrays[1]))
            used = len(set(ids.flatten().tolist()))
            nbytes = used * 3 * h * i * width
            flops = 2 * 3 * h * i * t * k
            gbps = nbytes / (ms * 1e-3) / 1e9
            gflops = flops / (ms * 1e-3) / 1e9
            roofline_ms = max(nbytes / (roof * 1e9), flops / (peak * 1e9)) * 1e3
            blas_ms, _ = bench_layer.grouped_gemm_ms(model, arrays, max(3, a.reps // 4))
            print(f"{t:5d} {used:7d} {ms:9.3f} {gbps:6.1f} {gbps / roof:6.0%} {gflops:7.1f} {gflops / peak:6.0%} "
                  f"{roofline_ms / ms:11.0%} {blas_ms:11.3f} {blas_ms / ms:14.2f}x" +
                  (f" {base_ms:11.3f} {base_ms / ms:12.2f}x" if base_ms else ""), flush=True)
            rows.append(dict(tokens=t, experts=used, ms=ms, gbps=gbps, gflops=gflops, read_roof_gbps=roof,
                             fma_gflops=peak, of_roofline=roofline_ms / ms, openblas_ms=blas_ms,
                             baseline_ms=base_ms))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(layer=model["name"], weight_type=a.weight_type, threads=a.threads, rows=rows), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
