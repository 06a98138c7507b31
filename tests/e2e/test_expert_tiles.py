#!/usr/bin/python3
"""Every code path of the CPU expert kernels, in every weight format, against float64.

The grouped gate/up and down kernels pick their inner loop by how many token
rows an expert has: one or two rows run dot tiles (weights read in their
stored format), three or more run AVX2's three-row dot tiles, and 32 or more
pack each slab of weight rows into a panel (dequantised, transposed in
registers) and run the outer-product micro-kernel over it, the down
projection a reduction block at a time. The example layers' tests cover f32
and bf16; quantised formats only exist for model directories, so this test
writes a one-layer Mixtral checkpoint whose sizes are not multiples of the
vector width or the panel (hidden 76, expert width 100: scalar tails in the
packing, the micro-kernel, the panel loop and the dot tiles), with 4 experts,
top-2, and generates from prompts of 1, 12 and 80 tokens (about 0.5, 6 and 40
token rows an expert in the prefill, then one a step), for checkpoints in
f32, bf16 and f16 and for f32 quantised at compile time to fp8 and int8; and
once more with expert width 4200, whose down projection packs its panels in
two or three reduction blocks (4096 columns a block on AVX2, 2048 with 16
lanes), from the 80-token prompt,
under every CPU variant the host runs (x86-64-v3-w16: the 16-lane shapes of
x86-64-v4 as AVX2 code). The logits after the prefill and each decode step
must match the float64 reference on the same (rounded or dequantised)
weights to a relative error < 1e-4 (max |difference| / max |logit|).

--quick (the sanitizer tier, where the generated kernels run uninstrumented
and only the compiler and runtime around them are checked) runs one CPU
variant and the first shape.

Usage: test_expert_tiles.py --bin BUILD/bin [--quick]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_examples as E  # noqa: E402
import test_hf_reference as T  # noqa: E402

CONFIG = dict(T.CONFIGS["mixtral"], hidden_size=76, intermediate_size=100, num_attention_heads=2,
              num_key_value_heads=1, num_hidden_layers=1, num_local_experts=4, sliding_window=128)
LONG = dict(CONFIG, intermediate_size=4200)
PROMPTS = {1: [7], 12: [(5 * i + 3) % 96 for i in range(12)], 80: [(7 * i + 1) % 96 for i in range(80)]}
FORMATS = [("f32", "F32", torch.float32, None), ("bf16", "BF16", torch.bfloat16, None),
           ("f16", "F16", torch.float16, None), ("fp8", "F32", torch.float32, "fp8"),
           ("int8", "F32", torch.float32, "int8")]
CASES = [("", CONFIG, FORMATS, PROMPTS),
         ("expert width 4200 ", LONG, [f for f in FORMATS if f[0] != "f16"], {80: PROMPTS[80]})]
STEPS = 3
TOLERANCE = 1e-4


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--quick", action="store_true", help="one CPU variant and the first shape only")
    opts = ap.parse_args()
    torch.set_num_threads(1)
    variants = E.runnable_variants()
    if not variants:
        print("FAIL: this host runs no CPU variant (needs at least AVX2/FMA, x86-64-v3)")
        return 1
    cases = CASES[:1] if opts.quick else CASES
    if opts.quick:
        variants = variants[:1]
    passed = failed = 0

    def report(name, ok, detail=""):
        nonlocal passed, failed
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
        passed += ok
        failed += not ok

    with tempfile.TemporaryDirectory(prefix="hexmoe-tiles-") as work:
        for tag, config, formats, prompts in cases:
            for label, dtype, rounding, quantise in formats:
                model = T.round_model(T.random_model(config, 23), rounding)
                tensors = T.checkpoint_tensors(model, dtype)
                d = os.path.join(work, tag.replace(" ", "-") + label)
                T.write_model(d, config, tensors, 1)
                if quantise:
                    with torch.no_grad():
                        state = model.state_dict()
                        for name, values in T.compile_time_quantized(tensors, quantise, 0).items():
                            state[name].copy_(torch.from_numpy(values))
                want = {n: model.generate(p, STEPS)[1].numpy() for n, p in prompts.items()}
                for variant in variants:
                    wide = variant.endswith("-w16")
                    art = f"{d}{'-w16' if wide else ''}.hxm"
                    if not os.path.exists(art):
                        args = [os.path.join(opts.bin, "hexmoe-compile"), d, "-o", art, "--max-seq-len=96", "--quiet"]
                        if quantise:
                            args.append(f"--weight-type={quantise}")
                        env = dict(os.environ, HEXMOE_CPU_VECTOR_WIDTH="16") if wide else None
                        p = subprocess.run(args, capture_output=True, text=True, env=env)
                        if p.returncode != 0:
                            report(f"compile {tag}{label}{' (16 lanes)' if wide else ''}", False, p.stdout + p.stderr)
                            continue
                    isa = variant[:-4] if wide else variant
                    for n, prompt in prompts.items():
                        case = f"{tag}{label} {variant} prompt of {n}"
                        logits = os.path.join(work, "logits.npy")
                        p = subprocess.run([os.path.join(opts.bin, "hexmoe-run"), art,
                                            f"--prompt-ids={','.join(map(str, prompt))}", f"--max-new-tokens={STEPS}",
                                            "--eos-id=-1", f"--dump-logits=@{logits}", "--threads=2"],
                                           capture_output=True, text=True, env=dict(os.environ, HEXMOE_CPU_VARIANT=isa))
                        if p.returncode != 0:
                            report(case, False, p.stdout + p.stderr)
                            continue
                        got = np.load(logits)
                        err = float(np.abs(got - want[n]).max() / np.abs(want[n]).max()) if got.shape == want[n].shape \
                            else float("inf")
                        report(f"{case}: relative error {err:.2e}", err < TOLERANCE,
                               f"shapes {got.shape} {want[n].shape}, error {err:.3e}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
