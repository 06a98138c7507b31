#!/usr/bin/python3
"""Artifacts whose weights come from a safetensors checkpoint.

A Mixtral-shaped layer whose router and expert arguments are marked
{moe.weight = "..."} is compiled with --weights=DIR against a checkpoint
written here (numpy, the safetensors layout byte by byte), in f32 and in
bf16 (router kept in f32, as bf16 checkpoints do), then run with the hidden
states as the only input and compared with the float64 reference (relative
L2 error < 1e-4; bf16 against the same bf16-rounded weights). Then what a
user can get wrong: a bf16 checkpoint for an f32 function (refused at compile
time naming --weight-type; converted with --embed-weights), a tensor missing
or of another shape, a moved checkpoint (found with --weights=DIR), a
changed byte (refused at load by its SHA-256; --no-verify-weights skips the
check), a truncated shard, and an embedded artifact that runs with the
checkpoint gone. With --device=opencl:0 the good cases also run there.

Usage: test_weights.py --bin BUILD/bin [--device=opencl:0]
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import layers  # noqa: E402
import reference  # noqa: E402

MODEL = dict(name="mixtral_small", H=64, I=96, E=4, K=2, shared=0)
NAMES = ["model.layers.0.block_sparse_moe.gate.weight", "experts.gate", "experts.up", "experts.down"]
TOLERANCE = 1e-4


def layer_mlir(model, weight_type):
    h, i, e, k = model["H"], model["I"], model["E"], model["K"]
    w = weight_type
    return f"""
func.func @layer(%hidden: tensor<?x{h}xf32> {{moe.name = "hidden"}},
    %router: tensor<{e}x{h}xf32> {{moe.weight = "{NAMES[0]}"}},
    %gate: tensor<{e}x{i}x{h}x{w}> {{moe.weight = "{NAMES[1]}"}},
    %up: tensor<{e}x{i}x{h}x{w}> {{moe.weight = "{NAMES[2]}"}},
    %down: tensor<{e}x{h}x{i}x{w}> {{moe.weight = "{NAMES[3]}"}}) -> tensor<?x{h}xf32> {{
  %out = moe.layer softmax %hidden, %router top_k {k} experts(%gate, %up, %down) {{norm_topk_prob}}
      : (tensor<?x{h}xf32>, tensor<{e}x{h}xf32>, tensor<{e}x{i}x{h}x{w}>, tensor<{e}x{i}x{h}x{w}>,
         tensor<{e}x{h}x{i}x{w}>) -> tensor<?x{h}xf32>
  return %out : tensor<?x{h}xf32>
}}
"""


def bf16_bits(a):
    """float32 → bf16 bits, round to nearest even (as the runtime's .npy reader)."""
    u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def write_safetensors(path, tensors):
    """tensors: name -> (dtype name, numpy array of the stored bits)."""
    header, blobs, offset = {}, [], 0
    for name, (dtype, array) in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_checkpoint(directory, arrays, expert_dtype):
    """Two shards and an index: the router in shard 1, the experts in shard 2."""
    os.makedirs(directory, exist_ok=True)
    stored = {}
    for n, a in zip(NAMES, arrays):
        if n != NAMES[0] and expert_dtype == "BF16":
            stored[n] = ("BF16", bf16_bits(a))
        else:
            stored[n] = ("F32", a.astype(np.float32))
    shards = {"model-00001-of-00002.safetensors": [NAMES[0]],
              "model-00002-of-00002.safetensors": NAMES[1:]}
    weight_map = {}
    for shard, names in shards.items():
        write_safetensors(os.path.join(directory, shard), {n: stored[n] for n in names})
        weight_map.update({n: shard for n in names})
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--device", help="also run the good cases on this device (opencl:N)")
    opts = ap.parse_args()
    compile_tool = os.path.join(opts.bin, "hexmoe-compile")
    run_tool = os.path.join(opts.bin, "hexmoe-run")
    passed = failed = 0

    def report(name, ok, detail=""):
        nonlocal passed, failed
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))
        passed += ok
        failed += not ok

    def run(tool, args):
        p = subprocess.run([tool] + args, capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def expect(name, tool, args, want_ok, *needles):
        rc, text = run(tool, args)
        ok = (rc == 0) == want_ok and all(n in text for n in needles) and (want_ok or 1 <= rc <= 2)
        report(name, ok, f"rc={rc}\n{text}")

    with tempfile.TemporaryDirectory(prefix="hexmoe-weights-") as work:
        arrays = layers.make_inputs(MODEL, 11, "skewed", seed=7)
        hidden, weights = arrays[0], arrays[1:]
        hidden_npy = os.path.join(work, "hidden.npy")
        np.save(hidden_npy, hidden)

        def check_output(name, art, ref_weights, extra=()):
            out = os.path.join(work, "out.npy")
            rc, text = run(run_tool, [art, f"--input=@{hidden_npy}", f"--output=@{out}", *extra])
            if rc != 0:
                report(name, False, text)
                return
            with torch.no_grad():
                want, _ = reference.mixtral_layer(*reference.as64([hidden] + list(ref_weights)))
            got = np.load(out).astype(np.float64)
            err = float(np.linalg.norm(got - want.numpy()) / np.linalg.norm(want.numpy()))
            report(f"{name}: relative L2 error {err:.2e}", err < TOLERANCE, f"error {err:.3e} >= {TOLERANCE}")

        bf16_weights = [weights[0]] + [reference.bf16_round(w) for w in weights[1:]]
        targets = "cpu,opencl" if opts.device else "cpu"
        devices = [[]] + ([[f"--device={opts.device}"]] if opts.device else [])
        cases = {}
        for dtype, weight_type in (("F32", "f32"), ("BF16", "bf16")):
            ckpt = os.path.join(work, f"ckpt-{dtype}")
            write_checkpoint(ckpt, weights, dtype)
            src = os.path.join(work, f"layer-{weight_type}.mlir")
            with open(src, "w") as f:
                f.write(layer_mlir(MODEL, weight_type))
            art = os.path.join(work, f"layer-{weight_type}.hxm")
            rc, text = run(compile_tool, [src, f"--weights={ckpt}", f"--target={targets}", "-o", art, "--quiet"])
            report(f"compile {weight_type} against a {dtype} checkpoint", rc == 0, text)
            cases[dtype] = (ckpt, src, art)
            for device in devices:
                check_output(f"run {weight_type} {' '.join(device) or 'cpu'}", art,
                             weights if dtype == "F32" else bf16_weights, device)

        ckpt32, src32, art32 = cases["F32"]
        ckpt16, _, _ = cases["BF16"]
        expect("--list shows only the hidden states as an argument", run_tool, [art32, "--list"], True,
               "layer(hidden: f32[T,64]) -> (out: f32[T,64])")

        # A bf16 checkpoint for an f32 function: refused, or converted when embedded.
        expect("bf16 checkpoint, f32 function: refused", compile_tool,
               [src32, f"--weights={ckpt16}", "-o", os.path.join(work, "x.hxm")], False,
               "tensor 'experts.gate' is [4, 96, 64] BF16 in the checkpoint, but the function takes f32",
               "--weight-type=bf16")
        embedded = os.path.join(work, "embedded.hxm")
        expect("bf16 checkpoint, f32 function, --embed-weights: converted", compile_tool,
               [src32, f"--weights={ckpt16}", "--embed-weights", "-o", embedded, "--quiet"], True)
        check_output("run the converted embedded artifact", embedded, bf16_weights)
        expect("no --weights for a function with weights", compile_tool,
               [src32, "-o", os.path.join(work, "x.hxm")], False, "no --weights=DIR names the checkpoint")

        # The checkpoint lacks a tensor, or holds it in another shape.
        bad = os.path.join(work, "ckpt-bad")
        shutil.copytree(ckpt32, bad)
        with open(os.path.join(bad, "model.safetensors.index.json")) as f:
            index = json.load(f)
        write_safetensors(os.path.join(bad, "model-00001-of-00002.safetensors"),
                          {"other": ("F32", np.zeros((2,), np.float32))})
        index["weight_map"] = {k: v for k, v in index["weight_map"].items() if k != NAMES[0]}
        index["weight_map"]["other"] = "model-00001-of-00002.safetensors"
        with open(os.path.join(bad, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f)
        expect("a missing tensor", compile_tool, [src32, f"--weights={bad}", "-o", os.path.join(work, "x.hxm")],
               False, f"the checkpoint has no tensor '{NAMES[0]}'")
        write_safetensors(os.path.join(bad, "model-00001-of-00002.safetensors"),
                          {NAMES[0]: ("F32", np.zeros((4, 32), np.float32))})
        index["weight_map"] = {k: v for k, v in index["weight_map"].items() if k != "other"}
        index["weight_map"][NAMES[0]] = "model-00001-of-00002.safetensors"
        with open(os.path.join(bad, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f)
        expect("a tensor of another shape", compile_tool,
               [src32, f"--weights={bad}", "-o", os.path.join(work, "x.hxm")], False,
               f"tensor '{NAMES[0]}' is [4, 32] F32, the function takes [4, 64] f32")

        # The checkpoint moves: found with --weights=DIR.
        moved = os.path.join(work, "moved")
        shutil.move(ckpt32, moved)
        expect("a moved checkpoint is not found", run_tool, [art32, f"--input=@{hidden_npy}"], False,
               "model-00001-of-00002.safetensors, which does not exist", "--weights=DIR")
        check_output("a moved checkpoint with --weights=DIR", art32, weights, [f"--weights={moved}"])

        # A changed byte: refused by the checksum, unless verification is off.
        shard = os.path.join(moved, "model-00002-of-00002.safetensors")
        with open(shard, "r+b") as f:
            f.seek(-3, os.SEEK_END)
            b = f.read(1)
            f.seek(-3, os.SEEK_END)
            f.write(bytes([b[0] ^ 0x40]))
        expect("a changed checkpoint byte", run_tool, [art32, f"--weights={moved}", f"--input=@{hidden_npy}"],
               False, "weight 'experts.down'", "does not match the SHA-256 recorded at compile time")
        expect("--no-verify-weights runs it anyway", run_tool,
               [art32, f"--weights={moved}", "--no-verify-weights", f"--input=@{hidden_npy}"], True)
        with open(shard, "r+b") as f:
            f.truncate(os.path.getsize(shard) - 100)
        expect("a truncated shard", run_tool, [art32, f"--weights={moved}", f"--input=@{hidden_npy}"], False,
               "weight 'experts.down' is bytes [", "(not the checkpoint it was compiled from?)")

        # Embedded: runs with the checkpoint gone.
        emb32 = os.path.join(work, "embedded32.hxm")
        ckpt_again = os.path.join(work, "ckpt-again")
        write_checkpoint(ckpt_again, weights, "F32")
        expect("--embed-weights", compile_tool,
               [src32, f"--weights={ckpt_again}", "--embed-weights", f"--target={targets}", "-o", emb32, "--quiet"],
               True)
        shutil.rmtree(ckpt_again)
        for device in devices:
            check_output(f"embedded, checkpoint deleted, {' '.join(device) or 'cpu'}", emb32, weights, device)

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
