#!/usr/bin/python3
"""The decoder ops on the CPU against a float64 torch reference.

Compiles one attention block built of moe.embedding, moe.rms_norm (whole
rows, and per head as Qwen3's q/k norms), moe.linear (with and without
bias, f32 and bf16 weights), moe.rope (halves and interleaved pairs, partial
rotation), moe.kv_write, moe.attention (grouped-query heads, optionally a
sliding window) and moe.add, and runs it with hexmoe-run: as a prefill from
position 0, and as a decode step of two tokens whose caches already hold the
earlier positions (the reference's keys and values), so attention reads both
what this call's kv_write stored in place and what was there before.
Relative L2 error < 1e-4 on the block's output, f32 and bf16 weights, sizes
that are not multiples of the vector width.

Usage: test_model_ops.py --bin BUILD/bin
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import reference  # noqa: E402

TOLERANCE = 1e-4


def block_mlir(c):
    V, H, nh, nkv, D, R, S, P, W, w = (c[k] for k in ("V", "H", "nh", "nkv", "D", "R", "S", "P", "W", "wtype"))
    q, kv = nh * D, nkv * D
    inter = "interleaved, " if c["interleaved"] else ""
    return f"""
func.func @block(%ids: tensor<?xi32> {{moe.name = "ids"}}, %pos: tensor<?xi32> {{moe.name = "positions"}},
    %kc: tensor<{S}x{kv}xf32> {{moe.name = "k_cache"}}, %vc: tensor<{S}x{kv}xf32> {{moe.name = "v_cache"}},
    %table: tensor<{V}x{H}x{w}>, %norm: tensor<{H}x{w}>, %wq: tensor<{q}x{H}x{w}>, %bq: tensor<{q}xf32>,
    %wk: tensor<{kv}x{H}x{w}>, %wv: tensor<{kv}x{H}x{w}>, %qn: tensor<{D}xf32>, %kn: tensor<{D}xf32>,
    %rope: tensor<{P}x{R}xf32>, %wo: tensor<{H}x{q}x{w}>) -> tensor<?x{H}xf32> {{
  %x = moe.embedding %ids, %table : (tensor<?xi32>, tensor<{V}x{H}x{w}>) -> tensor<?x{H}xf32>
  %n = moe.rms_norm %x, %norm {{epsilon = 1.0e-5 : f64}} : (tensor<?x{H}xf32>, tensor<{H}x{w}>) -> tensor<?x{H}xf32>
  %q0 = moe.linear %n, %wq bias %bq : (tensor<?x{H}xf32>, tensor<{q}x{H}x{w}>, tensor<{q}xf32>) -> tensor<?x{q}xf32>
  %k0 = moe.linear %n, %wk : (tensor<?x{H}xf32>, tensor<{kv}x{H}x{w}>) -> tensor<?x{kv}xf32>
  %v = moe.linear %n, %wv : (tensor<?x{H}xf32>, tensor<{kv}x{H}x{w}>) -> tensor<?x{kv}xf32>
  %q1 = moe.rms_norm %q0, %qn {{epsilon = 1.0e-6 : f64}} : (tensor<?x{q}xf32>, tensor<{D}xf32>) -> tensor<?x{q}xf32>
  %k1 = moe.rms_norm %k0, %kn {{epsilon = 1.0e-6 : f64}} : (tensor<?x{kv}xf32>, tensor<{D}xf32>) -> tensor<?x{kv}xf32>
  %q = moe.rope %q1, %pos, %rope {{{inter}head_dim = {D} : i64, rope_dim = {R} : i64}}
      : (tensor<?x{q}xf32>, tensor<?xi32>, tensor<{P}x{R}xf32>) -> tensor<?x{q}xf32>
  %k = moe.rope %k1, %pos, %rope {{{inter}head_dim = {D} : i64, rope_dim = {R} : i64}}
      : (tensor<?x{kv}xf32>, tensor<?xi32>, tensor<{P}x{R}xf32>) -> tensor<?x{kv}xf32>
  %kc2 = moe.kv_write %kc, %k, %pos : (tensor<{S}x{kv}xf32>, tensor<?x{kv}xf32>, tensor<?xi32>) -> tensor<{S}x{kv}xf32>
  %vc2 = moe.kv_write %vc, %v, %pos : (tensor<{S}x{kv}xf32>, tensor<?x{kv}xf32>, tensor<?xi32>) -> tensor<{S}x{kv}xf32>
  %o = moe.attention %q, %kc2, %vc2, %pos {{num_heads = {nh} : i64, num_kv_heads = {nkv} : i64,
      head_dim = {D} : i64, v_head_dim = {D} : i64, scale = {1.0 / math.sqrt(D)} : f64, sliding_window = {W} : i64}}
      : (tensor<?x{q}xf32>, tensor<{S}x{kv}xf32>, tensor<{S}x{kv}xf32>, tensor<?xi32>) -> tensor<?x{q}xf32>
  %a = moe.linear %o, %wo : (tensor<?x{q}xf32>, tensor<{H}x{q}x{w}>) -> tensor<?x{H}xf32>
  %out = moe.add %x, %a : (tensor<?x{H}xf32>, tensor<?x{H}xf32>) -> tensor<?x{H}xf32>
  return %out : tensor<?x{H}xf32>
}}
"""


def rope_table(P, R, theta=10000.0):
    inv = 1.0 / theta ** (np.arange(0, R, 2, dtype=np.float64) / R)
    ang = np.arange(P, dtype=np.float64)[:, None] * inv[None, :]
    return np.concatenate([np.cos(ang), np.sin(ang)], axis=1).astype(np.float32)


def rms(x, w, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w


def rotate(x, table, pos, D, R, interleaved):
    """x [T, n*D]: the last R of each head rotated by the positions' angles."""
    T = x.shape[0]
    x = x.view(T, -1, D).clone()
    cos, sin = table[pos, : R // 2][:, None, :], table[pos, R // 2:][:, None, :]
    part = x[..., D - R:]
    if interleaved:
        a, b = part[..., 0::2].clone(), part[..., 1::2].clone()
        part[..., 0::2], part[..., 1::2] = a * cos - b * sin, a * sin + b * cos
    else:
        a, b = part[..., : R // 2].clone(), part[..., R // 2:].clone()
        part[..., : R // 2], part[..., R // 2:] = a * cos - b * sin, a * sin + b * cos
    return x.reshape(T, -1)


def reference_block(c, w, ids, pos, kc, vc):
    """Returns (out, keys written, values written) in float64."""
    t = {k: torch.from_numpy(np.asarray(v, np.float64)) for k, v in w.items()}
    nh, nkv, D, R, W = c["nh"], c["nkv"], c["D"], c["R"], c["W"]
    x = t["table"][torch.from_numpy(ids).long()]
    n = rms(x, t["norm"], 1e-5)
    q = rms((n @ t["wq"].T + t["bq"]).view(len(ids), nh, D), t["qn"], 1e-6).reshape(len(ids), -1)
    k = rms((n @ t["wk"].T).view(len(ids), nkv, D), t["kn"], 1e-6).reshape(len(ids), -1)
    v = n @ t["wv"].T
    p = torch.from_numpy(pos).long()
    q = rotate(q, t["rope"], p, D, R, c["interleaved"])
    k = rotate(k, t["rope"], p, D, R, c["interleaved"])
    K = torch.from_numpy(kc.astype(np.float64)).clone()
    Vc = torch.from_numpy(vc.astype(np.float64)).clone()
    K[p], Vc[p] = k, v
    out = torch.zeros(len(ids), nh * D, dtype=torch.float64)
    for i, pi in enumerate(pos):
        lo = max(0, pi - W + 1) if W else 0
        for h in range(nh):
            g = h // (nh // nkv)
            kk = K[lo:pi + 1, g * D:(g + 1) * D]
            vv = Vc[lo:pi + 1, g * D:(g + 1) * D]
            s = torch.softmax(kk @ q[i, h * D:(h + 1) * D] / math.sqrt(D), dim=0)
            out[i, h * D:(h + 1) * D] = s @ vv
    return x + out @ t["wo"].T, k, v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    opts = ap.parse_args()
    configs = [
        dict(name="gqa f32", V=50, H=64, nh=4, nkv=2, D=16, R=16, S=24, P=32, W=0, interleaved=False, wtype="f32"),
        dict(name="gqa bf16 interleaved partial window", V=50, H=48, nh=6, nkv=3, D=12, R=8, S=20, P=20, W=5,
             interleaved=True, wtype="bf16"),
        dict(name="odd sizes", V=7, H=37, nh=3, nkv=1, D=10, R=6, S=9, P=9, W=0, interleaved=False, wtype="f32"),
    ]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="hexmoe-model-ops-") as work:
        for ci, c in enumerate(configs):
            rng = np.random.default_rng(100 + ci)
            q, kv, H = c["nh"] * c["D"], c["nkv"] * c["D"], c["H"]
            w = {"table": rng.standard_normal((c["V"], H)), "norm": 1 + 0.1 * rng.standard_normal(H),
                 "wq": rng.standard_normal((q, H)) / math.sqrt(H), "bq": 0.1 * rng.standard_normal(q),
                 "wk": rng.standard_normal((kv, H)) / math.sqrt(H), "wv": rng.standard_normal((kv, H)) / math.sqrt(H),
                 "qn": 1 + 0.1 * rng.standard_normal(c["D"]), "kn": 1 + 0.1 * rng.standard_normal(c["D"]),
                 "rope": rope_table(c["P"], c["R"]), "wo": rng.standard_normal((H, q)) / math.sqrt(q)}
            w = {k: np.asarray(v, np.float32) for k, v in w.items()}
            if c["wtype"] == "bf16":
                for k in ("table", "norm", "wq", "wk", "wv", "wo"):
                    w[k] = reference.bf16_round(w[k]).astype(np.float32)
            src = os.path.join(work, f"block{ci}.mlir")
            with open(src, "w") as f:
                f.write(block_mlir(c))
            art = os.path.join(work, f"block{ci}.hxm")
            subprocess.run([os.path.join(opts.bin, "hexmoe-compile"), src, "-o", art, "--quiet"], check=True)
            order = ["table", "norm", "wq", "bq", "wk", "wv", "qn", "kn", "rope", "wo"]
            files = {}
            for k in order:
                files[k] = os.path.join(work, f"{k}.npy")
                np.save(files[k], w[k])
            S = c["S"]
            # A prefill from position 0, then a decode step after it (and one
            # past the window when there is one), each on the caches so far.
            prefill = rng.integers(0, c["V"], size=S - 3).astype(np.int32)
            steps = [(prefill, np.arange(len(prefill), dtype=np.int32)),
                     (np.array([3, c["V"] - 1], np.int32), np.array([S - 3, S - 2], np.int32))]
            kc = np.zeros((S, kv), np.float32)
            vc = np.zeros((S, kv), np.float32)
            for si, (ids, pos) in enumerate(steps):
                with torch.no_grad():
                    want, k, v = reference_block(c, w, ids, pos, kc, vc)
                paths = {}
                for k_, a in (("ids", ids), ("pos", pos), ("kc", kc), ("vc", vc)):
                    paths[k_] = os.path.join(work, f"{k_}.npy")
                    np.save(paths[k_], a)
                out = os.path.join(work, "out.npy")
                args = [os.path.join(opts.bin, "hexmoe-run"), art] + \
                    [f"--input=@{paths[k_]}" for k_ in ("ids", "pos", "kc", "vc")] + \
                    [f"--input=@{files[k_]}" for k_ in order] + [f"--output=@{out}"]
                p = subprocess.run(args, capture_output=True, text=True)
                case = f"{c['name']} {'prefill' if si == 0 else 'decode'} T={len(ids)}"
                if p.returncode != 0:
                    print(f"FAIL {case}: {p.stderr}")
                    failed += 1
                    continue
                got = np.load(out).astype(np.float64)
                err = float(np.linalg.norm(got - want.numpy()) / np.linalg.norm(want.numpy()))
                ok = err < TOLERANCE
                print(f"{'ok  ' if ok else 'FAIL'} {case}: relative L2 error {err:.2e}")
                passed += ok
                failed += not ok
                # Carry the reference's caches to the next step.
                kc = kc.copy()
                vc = vc.copy()
                kc[pos] = k.numpy()
                vc[pos] = v.numpy()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
