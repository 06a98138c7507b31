#!/usr/bin/python3
"""Times hexmoe's compiled MoE layers against a Hugging Face-style PyTorch MoE
block on the same inputs and threads (BENCHMARKING.md), and a quarter-size
Mixtral layer at T=1 against the machine's read-only streaming bandwidth.

Each case alternates hexmoe and PyTorch (A-B, --pairs times), each side taking
the median of --reps calls; the ratio reported is the median over pairs of
torch_ms / hexmoe_ms (> 1: hexmoe is faster) with its min..max spread.

  scripts/bench_layer.py [--bin build/bin] [--threads 2] [--pairs 5] [--reps 20]
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layers  # noqa: E402
import reference  # noqa: E402
import hexmoe_ctypes  # noqa: E402


def cpu_model():
    flags, name = set(), platform.processor()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    isa = "AVX-512" if "avx512f" in flags else ("AVX2" if "avx2" in flags else "baseline")
    extras = [f for f in ("avx512_bf16", "avx512_vnni", "amx_tile") if f in flags]
    return f"{name} ({isa}{', ' + ', '.join(extras) if extras else ''})"


def busy_fraction(seconds=0.5):
    """Fraction of all CPUs busy over `seconds` (read from /proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v), idle
    t0, i0 = snap()
    time.sleep(seconds)
    t1, i1 = snap()
    return 1.0 - (i1 - i0) / max(t1 - t0, 1)


def wait_idle(limit=0.10, tries=20):
    for _ in range(tries):
        if busy_fraction() < limit:
            return True
    return False


def hexmoe_ms(bindir, art, paths, threads, reps):
    cmd = [os.path.join(bindir, "hexmoe-run"), art] + [f"--input=@{p}" for p in paths] + [
        f"--repeat={reps}", f"--threads={threads}", "--output=@/dev/null"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"median ([0-9.]+) ms", out)
    if not m:
        raise RuntimeError(f"unexpected hexmoe-run output: {out}")
    return float(m.group(1))


def torch_ms(fn, args, reps):
    with torch.no_grad():
        for _ in range(3):  # the first calls allocate and wake BLAS threads
            fn(*args)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn(*args)
            times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def grouped_gemm_ms(model, arrays, reps):
    """OpenBLAS (through torch.mm) on the layer's own GEMM shapes: each expert's
    gate, up and down projections over exactly the rows routed to it, plus the
    shared expert; no routing, gathering or activation. The dense upper bound
    the BENCHMARKING.md protocol normalises prefill by."""
    t = [torch.from_numpy(a) for a in arrays]
    with torch.no_grad():
        if model["shared"]:
            ids, _ = reference.deepseek_router(t[0], t[1], t[2])
            gate, up, down, shared = t[3], t[4], t[5], t[6:9]
        else:
            ids, _ = reference.mixtral_router(t[0], t[1])
            gate, up, down, shared = t[2], t[3], t[4], None
        rows = [t[0][torch.where(ids == e)[0]].contiguous() for e in range(gate.shape[0])]
        mats = [(gate[e].T.contiguous(), up[e].T.contiguous(), down[e].T.contiguous())
                for e in range(gate.shape[0])]
        if shared is not None:
            rows.append(t[0])
            mats.append(tuple(m.T.contiguous() for m in shared))
        acts = [torch.zeros(x.shape[0], g.shape[1]) for x, (g, _, _) in zip(rows, mats)]

        def run():
            for x, (g, u, d), a in zip(rows, mats, acts):
                if x.shape[0]:
                    torch.mm(x, g)
                    torch.mm(x, u)
                    torch.mm(a, d)
        run()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            run()
            times.append((time.perf_counter() - t0) * 1e3)
    flops = sum(2 * x.shape[0] * 3 * g.shape[0] * g.shape[1] for x, (g, _, _) in zip(rows, mats))
    return float(np.median(times)), flops


def decode_cold_warm_ms(bindir, art, arrays, reps):
    """Times T=1 calls of a top-2 layer through the C API twice: warm (the same
    token, so the same two experts, every call) and cold (four tokens that each
    pick a disjoint expert pair, rotated, so every call streams weights the
    previous three calls did not touch). Returns (cold_ms, warm_ms)."""
    rt = hexmoe_ctypes.Runtime(hexmoe_ctypes.default_library(bindir))
    module, fn = rt.load(art)
    hidden, router = arrays[0], arrays[1]
    tokens = []
    for pair in ((0, 1), (2, 3), (4, 5), (6, 7)):
        # A token aligned with two router rows selects those two experts.
        tok = 4.0 * (router[pair[0]] + router[pair[1]]) / np.linalg.norm(router[pair[0]])
        tokens.append(rt.buffer(tok[None, :].astype(np.float32)))
    weights = [rt.buffer(a) for a in arrays[1:]]
    outs = rt.invoke(fn, [tokens[0]] + weights, [None])

    def timed(pick):
        times = []
        for i in range(reps * 4):
            t0 = time.perf_counter()
            rt.invoke(fn, [tokens[pick(i)]] + weights, outs)
            times.append((time.perf_counter() - t0) * 1e3)
        return float(np.median(times))
    return timed(lambda i: i % 4), timed(lambda i: 0)


def compare(bindir, art, arrays, fn, threads, pairs, reps, work, peer_arrays=None):
    paths = []
    for n, a in enumerate(arrays):
        p = os.path.join(work, f"arg{n}.npy")
        np.save(p, a)
        paths.append(p)
    # The peer gets the same (for bf16: the same bf16-rounded) weights in f32.
    targs = [torch.from_numpy(a) for a in (peer_arrays or arrays)]
    ours, theirs, ratios, skipped = [], [], [], 0
    for _ in range(pairs):
        if not wait_idle():
            skipped += 1
        a = hexmoe_ms(bindir, art, paths, threads, reps)
        b = torch_ms(fn, targs, reps)
        ours.append(a)
        theirs.append(b)
        ratios.append(b / a)
    return np.median(ours), np.median(theirs), ratios, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--tokens", default="1,64,300")
    opts = ap.parse_args()
    torch.set_num_threads(opts.threads)
    tokens = [int(t) for t in opts.tokens.split(",")]
    print(f"# CPU: {cpu_model()}; {opts.threads} threads; fp32 activations; "
          f"{opts.pairs} A-B pairs x {opts.reps} calls; seeds fixed")
    stream = subprocess.run([os.path.join(opts.bin, "hexmoe-bench"), "stream",
                             f"--threads={opts.threads}", "--mb=1024"],
                            capture_output=True, text=True, check=True).stdout
    read_gbps = float(re.search(r"read_gbps=([0-9.]+)", stream).group(1))
    triad_gbps = float(re.search(r"triad_gbps=([0-9.]+)", stream).group(1))
    print(f"# read-only streaming bandwidth {read_gbps:.1f} GB/s, triad {triad_gbps:.1f} GB/s")
    print("| layer | weights | routing | T | hexmoe ms | PyTorch ms | PyTorch/hexmoe (min..max) "
          "| hexmoe GFLOP/s | OpenBLAS GEMMs alone GFLOP/s |")
    print("|---|---|---|---|---|---|---|---|---|")

    with tempfile.TemporaryDirectory(prefix="hexmoe-bench-") as work:
        cases = [(layers.MIXTRAL, "mixtral_layer.mlir", reference.mixtral_layer),
                 (layers.DEEPSEEK, "deepseek_v3_layer.mlir", reference.deepseek_layer)]
        for model, example, fn in cases:
            for wt in ("f32", "bf16"):
                art = os.path.join(work, f"{model['name']}_{wt}.hxm")
                subprocess.run([os.path.join(opts.bin, "hexmoe-compile"),
                                os.path.join(ROOT, "models", "examples", example),
                                f"--weight-type={wt}", "-o", art, "--quiet"], check=True)
                for t in tokens:
                    arrays = layers.make_inputs(model, t, "uniform", 7 + t)
                    peer_arrays = list(arrays)
                    if wt == "bf16":
                        for s in layers.expert_weight_slots(model):
                            peer_arrays[s] = reference.bf16_round(arrays[s])
                    ours, theirs, ratios, skipped = compare(
                        opts.bin, art, arrays, lambda *a: fn(*a)[0], opts.threads,
                        opts.pairs, opts.reps, work, peer_arrays)
                    note = f" ({skipped} pairs on a busy machine)" if skipped else ""
                    blas_ms, flops = grouped_gemm_ms(model, peer_arrays, opts.reps)
                    print(f"| {model['name']} | {wt} | uniform | {t} | {ours:.3f} | {theirs:.3f} | "
                          f"{np.median(ratios):.2f}x ({min(ratios):.2f}..{max(ratios):.2f}){note} "
                          f"| {flops / ours / 1e6:.1f} | {flops / blas_ms / 1e6:.1f} |")

        # Quarter-size Mixtral at T=1: bandwidth-bound decode.
        model = layers.QUARTER
        h, i, e, k = model["H"], model["I"], model["E"], model["K"]
        src = os.path.join(work, "mixtral_quarter.mlir")
        with open(src, "w") as f:
            f.write(layers.mixtral_layer_mlir(model))
        art = os.path.join(work, "mixtral_quarter.hxm")
        subprocess.run([os.path.join(opts.bin, "hexmoe-compile"), src, "-o", art, "--quiet"],
                       check=True)
        arrays = layers.make_inputs(model, 1, "uniform", 11)
        ours, theirs, ratios, skipped = compare(opts.bin, art, arrays,
                                                lambda *a: reference.mixtral_layer(*a)[0],
                                                opts.threads, opts.pairs, opts.reps, work)
        # Cold weights: 352 MB rotate through a 32 MB L3, but the two chosen
        # experts (88 MB) are re-read every call, so each call streams them.
        expert_bytes = k * 3 * h * i * 4
        ours_gbps = expert_bytes / (ours * 1e-3) / 1e9
        theirs_gbps = expert_bytes / (theirs * 1e-3) / 1e9
        print(f"| mixtral quarter (H 1024, I 3584, E 8, top-2; {e * 3 * h * i * 4 / 1e6:.0f} MB) | f32 "
              f"| uniform | 1 | {ours:.3f} | {theirs:.3f} | {np.median(ratios):.2f}x "
              f"({min(ratios):.2f}..{max(ratios):.2f}) |")
        print(f"# quarter Mixtral T=1: {expert_bytes / 1e6:.1f} MB of expert weights read per call; "
              f"hexmoe {ours_gbps:.1f} GB/s = {ours_gbps / read_gbps:.0%} of read-only streaming "
              f"bandwidth; PyTorch {theirs_gbps:.1f} GB/s = {theirs_gbps / read_gbps:.0%} "
              f"(warm: the same two experts every call)")
        os.environ["HEXMOE_THREADS"] = str(opts.threads)
        wait_idle()
        cold, warm = decode_cold_warm_ms(opts.bin, art, arrays, opts.reps)
        cold_gbps = expert_bytes / (cold * 1e-3) / 1e9
        warm_gbps = expert_bytes / (warm * 1e-3) / 1e9
        print(f"# quarter Mixtral T=1 through the C API: cold (4 tokens rotating over disjoint "
              f"expert pairs) {cold:.3f} ms = {cold_gbps:.1f} GB/s = {cold_gbps / read_gbps:.0%} of "
              f"read-only streaming bandwidth; warm (same token) {warm:.3f} ms = {warm_gbps:.1f} "
              f"GB/s = {warm_gbps / read_gbps:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
