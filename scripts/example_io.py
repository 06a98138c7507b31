#!/usr/bin/python3
"""Writes seeded inputs of an example layer as .npy files, or checks an output
against the float64 PyTorch reference.

  example_io.py make  --model deepseek_v3 --tokens 64 --routing uniform --out DIR
  example_io.py check --model deepseek_v3 --dir DIR [--weight-type bf16]
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import layers  # noqa: E402
import reference  # noqa: E402

MODELS = {"mixtral": layers.MIXTRAL, "deepseek_v3": layers.DEEPSEEK}
NAMES = {
    "mixtral": ["hidden", "router", "gate_proj", "up_proj", "down_proj"],
    "deepseek_v3": ["hidden", "router", "e_score_correction_bias", "gate_proj", "up_proj",
                    "down_proj", "shared_gate_proj", "shared_up_proj", "shared_down_proj"],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["make", "check"])
    ap.add_argument("--model", choices=sorted(MODELS), default="deepseek_v3")
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--routing", choices=["uniform", "skewed"], default="uniform")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weight-type", choices=["f32", "bf16"], default="f32")
    ap.add_argument("--dir", "--out", dest="dir", required=True)
    opts = ap.parse_args()
    model, names = MODELS[opts.model], NAMES[opts.model]
    if opts.action == "make":
        os.makedirs(opts.dir, exist_ok=True)
        arrays = layers.make_inputs(model, opts.tokens, opts.routing, opts.seed)
        for name, a in zip(names, arrays):
            np.save(os.path.join(opts.dir, name + ".npy"), a)
        print(" ".join(f"--input=@{os.path.join(opts.dir, n + '.npy')}" for n in names))
        return 0
    arrays = [np.load(os.path.join(opts.dir, n + ".npy")) for n in names]
    if opts.weight_type == "bf16":
        for s in layers.expert_weight_slots(model):
            arrays[s] = reference.bf16_round(arrays[s])
    got = np.load(os.path.join(opts.dir, "out.npy")).astype(np.float64)
    with torch.no_grad():
        fn = reference.deepseek_layer if model["shared"] else reference.mixtral_layer
        want = fn(*reference.as64(arrays))[0].numpy()
    err = np.linalg.norm(got - want) / np.linalg.norm(want)
    ok = got.shape == want.shape and err < 1e-4
    print(f"{opts.model}: output {list(got.shape)}, relative L2 error vs float64 PyTorch "
          f"reference {err:.2e} ({'ok' if ok else 'FAIL'}, tolerance 1e-4)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
