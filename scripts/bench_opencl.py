#!/usr/bin/python3
"""Times the example layers on an OpenCL device against hexmoe's CPU code on
the same machine, and a quarter-size Mixtral layer at T=1 against the
read-only streaming bandwidth (BENCHMARKING.md: ratios in one run).

One artifact per case (--target=cpu,opencl); each pair runs hexmoe-run
--repeat on the CPU, then on the OpenCL device (A-B, --pairs times); the
ratio is the median over pairs of opencl_ms / cpu_ms (> 1: the OpenCL device
is slower) with its min..max spread. With PoCL both sides use the same cores,
so the ratio is the cost of the OpenCL C kernels against the vectorised CPU
kernels, not of one device against another.

  scripts/bench_opencl.py [--bin build/bin] [--device opencl:0] [--threads 2] [--pairs 3] [--reps 10]
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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layers  # noqa: E402
from bench_layer import cpu_model, wait_idle  # noqa: E402


def run_ms(bindir, art, paths, device, threads, reps):
    cmd = [os.path.join(bindir, "hexmoe-run"), art] + [f"--input=@{p}" for p in paths] + [
        f"--repeat={reps}", f"--device={device}", "--output=@/dev/null"]
    if device.startswith("cpu"):
        cmd.append(f"--threads={threads}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"median ([0-9.]+) ms", out)
    if not m:
        raise RuntimeError(f"unexpected hexmoe-run output: {out}")
    return float(m.group(1))


def pairs(bindir, art, arrays, work, opts):
    paths = []
    for i, a in enumerate(arrays):
        p = os.path.join(work, f"in{i}.npy")
        np.save(p, a)
        paths.append(p)
    run_ms(bindir, art, paths, opts.device, opts.threads, 1)  # builds (and caches) the program
    cpu, ocl, ratios = [], [], []
    for _ in range(opts.pairs):
        wait_idle()
        c = run_ms(bindir, art, paths, "cpu", opts.threads, opts.reps)
        o = run_ms(bindir, art, paths, opts.device, opts.threads, opts.reps)
        cpu.append(c)
        ocl.append(o)
        ratios.append(o / c)
    return float(np.median(cpu)), float(np.median(ocl)), ratios


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--device", default="opencl:0")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--tokens", default="1,64,300")
    opts = ap.parse_args()
    tokens = [int(t) for t in opts.tokens.split(",")]
    listing = subprocess.run([os.path.join(opts.bin, "hexmoe-run"), "--list-devices"],
                             capture_output=True, text=True, check=True).stdout
    line = next((l.strip() for l in listing.splitlines() if l.strip().startswith(opts.device + " ")), None)
    if not line:
        print(f"no device {opts.device} here:\n{listing}")
        return 1
    print(f"# CPU: {cpu_model()}; cpu with {opts.threads} threads vs {line}")
    print(f"# {opts.pairs} A-B pairs x {opts.reps} calls; fp32 activations; uniform routing; seeds fixed")
    stream = subprocess.run([os.path.join(opts.bin, "hexmoe-bench"), "stream",
                             f"--threads={opts.threads}", "--mb=1024"],
                            capture_output=True, text=True, check=True).stdout
    read_gbps = float(re.search(r"read_gbps=([0-9.]+)", stream).group(1))
    print(f"# read-only streaming bandwidth {read_gbps:.1f} GB/s")
    print("| layer | weights | T | cpu ms | opencl ms | opencl/cpu (min..max) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="hexmoe-bench-ocl-") as work:
        for model, example in ((layers.MIXTRAL, "mixtral_layer.mlir"),
                               (layers.DEEPSEEK, "deepseek_v3_layer.mlir")):
            for wt in ("f32", "bf16"):
                art = os.path.join(work, f"{model['name']}_{wt}.hxm")
                subprocess.run([os.path.join(opts.bin, "hexmoe-compile"),
                                os.path.join(ROOT, "models", "examples", example), "--target=cpu,opencl",
                                f"--weight-type={wt}", "-o", art, "--quiet"], check=True)
                for t in tokens:
                    arrays = layers.make_inputs(model, t, "uniform", 7 + t)
                    cpu, ocl, r = pairs(opts.bin, art, arrays, work, opts)
                    print(f"| {model['name']} | {wt} | {t} | {cpu:.3f} | {ocl:.3f} | "
                          f"{np.median(r):.2f}x ({min(r):.2f}..{max(r):.2f}) |")
        model = layers.QUARTER
        h, i, k = model["H"], model["I"], model["K"]
        src = os.path.join(work, "mixtral_quarter.mlir")
        with open(src, "w") as f:
            f.write(layers.mixtral_layer_mlir(model))
        art = os.path.join(work, "mixtral_quarter.hxm")
        subprocess.run([os.path.join(opts.bin, "hexmoe-compile"), src, "--target=cpu,opencl", "-o", art,
                        "--quiet"], check=True)
        arrays = layers.make_inputs(model, 1, "uniform", 11)
        cpu, ocl, r = pairs(opts.bin, art, arrays, work, opts)
        print(f"| mixtral quarter (H 1024, I 3584, E 8, top-2) | f32 | 1 | {cpu:.3f} | {ocl:.3f} | "
              f"{np.median(r):.2f}x ({min(r):.2f}..{max(r):.2f}) |")
        expert_bytes = k * 3 * h * i * 4
        for name, ms in (("cpu", cpu), (opts.device, ocl)):
            gbps = expert_bytes / (ms * 1e-3) / 1e9
            print(f"# quarter Mixtral T=1, {name}: {expert_bytes / 1e6:.1f} MB of expert weights per call, "
                  f"{gbps:.1f} GB/s = {gbps / read_gbps:.0%} of read-only streaming bandwidth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
