#!/usr/bin/python3
"""End-to-end check of the example layers against the float64 reference.

Compiles models/examples/{mixtral,deepseek_v3}_layer.mlir and a Mixtral-shaped
layer with odd sizes (layers.ODD: every kernel's scalar tails), f32 and bf16
weights, and their routers with hexmoe-compile, runs them with hexmoe-run on
seeded inputs for T in {1, 7, 64, 300} with uniform and skewed routing (and,
for the DeepSeek-V3 layer, negative biased scores that only -inf masking of
discarded groups routes right, T=16 too), under every CPU variant this host
can run, and checks:
  - relative L2 error of the layer output < 1e-4 against reference.py,
  - the same selected experts per token, and their weights to 1e-5.
bf16 runs compare with a reference that uses the same bf16-rounded weights.
With --device=opencl:N the same cases run on that OpenCL device instead
(artifacts compiled with --target=cpu,opencl), with --device=cuda:N on that
GPU (--target=cpu,cuda-source), with --device=hip:N on that AMD GPU
(--target=cpu,hip-source); --skip-absent exits 77 where it is not.

Usage: test_examples.py --bin BUILD/bin [--quick] [--device=opencl:0|cuda:0|hip:0] [--skip-absent]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import layers  # noqa: E402
import reference  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKENS = [1, 7, 64, 300]
ROUTINGS = ["uniform", "skewed"]
# Layers with a correction bias also run with negative biased scores (T=16 as
# well), where group-limited routing must mask discarded groups with -inf.
BIAS_ROUTINGS = ["negative_bias"]
TOLERANCE = 1e-4


def host_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def runnable_variants():
    flags = host_flags()
    v3 = {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe"}
    v4 = v3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
    out = [v for v, need in (("x86-64-v3", v3), ("x86-64-v4", v4)) if need <= flags]
    if "x86-64-v3" in out:
        # The 16-lane kernel shapes of x86-64-v4, run as AVX2 code: covers the
        # AVX-512 variant's loop structure on hosts without AVX-512.
        out.append("x86-64-v3-w16")
    for v, need in (("x86-64-v3", v3), ("x86-64-v4", v4)):
        if not need <= flags:
            print(f"note: this host cannot run the {v} variant (lacks "
                  f"{', '.join(sorted(need - flags))}); it is tested on hosts that can")
    return out


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p


def compile_model(bindir, src, out, weight_type, target="cpu", vector_width=None):
    env = dict(os.environ)
    if vector_width:
        env["HEXMOE_CPU_VECTOR_WIDTH"] = str(vector_width)
    run([os.path.join(bindir, "hexmoe-compile"), src, f"--target={target}",
         f"--weight-type={weight_type}", "-o", out, "--quiet"], env)


def invoke(bindir, artifact, arrays, outputs, workdir, variant):
    args = [os.path.join(bindir, "hexmoe-run"), artifact]
    for i, a in enumerate(arrays):
        path = os.path.join(workdir, f"in{i}.npy")
        np.save(path, a)
        args.append(f"--input=@{path}")
    out_paths = [os.path.join(workdir, f"out{i}.npy") for i in range(outputs)]
    args += [f"--output=@{p}" for p in out_paths]
    if variant.startswith("opencl"):
        args.append(f"--device={variant}")
        env = dict(os.environ)
    else:
        env = dict(os.environ, HEXMOE_CPU_VARIANT=variant)
    run(args, env)
    return [np.load(p) for p in out_paths]


def rel_l2(got, want):
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


# The targets an artifact for a device of each driver is compiled with.
DEVICE_TARGETS = {"opencl": "cpu,opencl", "cuda": "cpu,cuda-source", "hip": "cpu,hip-source"}


def device_target(device):
    return DEVICE_TARGETS[device.split(":")[0]]


def skip_unless_present(bindir, device):
    """Exits 77 (ctest's skip) with the reason when hexmoe-run cannot open `device` here."""
    p = subprocess.run([os.path.join(bindir, "hexmoe-run"), "--list-devices"], capture_output=True, text=True)
    opened, _, unavailable = p.stdout.partition("unavailable:")
    if f" {device} " not in opened:
        driver = device.split(":")[0]
        why = [line.strip() for line in unavailable.splitlines() if line.strip().startswith(driver + ":")]
        print(f"skip: no {device} here ({why[0] if why else 'the driver lists no such device'})")
        sys.exit(77)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="directory with hexmoe-compile and hexmoe-run")
    ap.add_argument("--quick", action="store_true", help="T in {1, 64} only")
    ap.add_argument("--device", help="run on this device (opencl:N, cuda:N) instead of every CPU variant")
    ap.add_argument("--skip-absent", action="store_true", help="exit 77 (skip) when --device is not here")
    opts = ap.parse_args()
    if opts.device and opts.skip_absent:
        skip_unless_present(opts.bin, opts.device)
    tokens = [1, 64] if opts.quick else TOKENS
    variants = [opts.device] if opts.device else runnable_variants()
    if not variants:
        print("FAIL: this host runs no CPU variant (needs at least AVX2/FMA, x86-64-v3)")
        return 1

    passed = failed = 0
    worst = {}
    with tempfile.TemporaryDirectory(prefix="hexmoe-e2e-") as work:
        odd_layer = os.path.join(work, "mixtral_odd_layer.mlir")
        odd_router = os.path.join(work, "mixtral_odd_router.mlir")
        with open(odd_layer, "w") as f:
            f.write(layers.mixtral_layer_mlir(layers.ODD))
        with open(odd_router, "w") as f:
            f.write(layers.mixtral_router_mlir(layers.ODD))
        examples = os.path.join(ROOT, "models", "examples")
        router_inputs = os.path.join(ROOT, "tests", "e2e", "inputs")
        for model, example, router_src in (
                (layers.MIXTRAL, os.path.join(examples, "mixtral_layer.mlir"),
                 os.path.join(router_inputs, "mixtral_router.mlir")),
                (layers.DEEPSEEK, os.path.join(examples, "deepseek_v3_layer.mlir"),
                 os.path.join(router_inputs, "deepseek_v3_router.mlir")),
                (layers.ODD, odd_layer, odd_router)):
            for weight_type in ("f32", "bf16"):
                for variant in variants:
                    # The default artifact carries every variant and the run picks one
                    # with HEXMOE_CPU_VARIANT; the -w16 variant is compiled on its own.
                    wide = variant.endswith("-w16")
                    isa = variant[:-4] if wide else variant
                    tag = f"{model['name']}_{weight_type}{'_w16' if wide else ''}"
                    art = os.path.join(work, f"{tag}.hxm")
                    router_art = os.path.join(work, f"{tag}_router.hxm")
                    if not os.path.exists(art):
                        target = f"cpu:{isa}" if wide else "cpu"
                        if variant.split(":")[0] in DEVICE_TARGETS:
                            target = device_target(variant)
                        compile_model(opts.bin, example, art, weight_type, target,
                                      16 if wide else None)
                        compile_model(opts.bin, router_src, router_art, "f32", target,
                                      16 if wide else None)
                    routings = ROUTINGS + (BIAS_ROUTINGS if model["shared"] else [])
                    for routing in routings:
                        for t in (tokens + [16] if routing in BIAS_ROUTINGS else tokens):
                            seed = 1000 * t + 10 * routings.index(routing) + len(model["name"])
                            arrays = layers.make_inputs(model, t, routing, seed)
                            ref_arrays = list(arrays)
                            if weight_type == "bf16":
                                for s in layers.expert_weight_slots(model):
                                    ref_arrays[s] = reference.bf16_round(arrays[s])
                            case = f"{model['name']} {weight_type} {variant} {routing} T={t}"
                            try:
                                ok = check_case(opts.bin, model, art, router_art, arrays,
                                                ref_arrays, work, isa, case, worst,
                                                weight_type)
                            except RuntimeError as e:
                                print(f"FAIL {case}: {e}")
                                ok = False
                            passed += ok
                            failed += not ok
    for key, err in sorted(worst.items()):
        print(f"worst relative L2 error, {key}: {err:.3e}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def check_case(bindir, model, art, router_art, arrays, ref_arrays, work, variant, case, worst,
               weight_type):
    with torch.no_grad():
        t64 = reference.as64(ref_arrays)
        if model["shared"]:
            want, want_ids = reference.deepseek_layer(*t64)
            ref_ids, ref_w = reference.deepseek_router(t64[0], t64[1], t64[2])
            router_args = arrays[:3]
        else:
            want, want_ids = reference.mixtral_layer(*t64)
            ref_ids, ref_w = reference.mixtral_router(t64[0], t64[1])
            router_args = arrays[:2]
    (got,) = invoke(bindir, art, arrays, 1, work, variant)
    ids, weights = invoke(bindir, router_art, router_args, 2, work, variant)

    ok = True
    err = rel_l2(got.astype(np.float64), want.numpy())
    key = f"{model['name']} {weight_type}"
    worst[key] = max(worst.get(key, 0.0), err)
    if got.shape != tuple(want.shape) or not err < TOLERANCE:
        print(f"FAIL {case}: relative L2 error {err:.3e} >= {TOLERANCE:g}")
        ok = False
    # Same experts per token (as sets: the reference's top-k order is unspecified).
    ref_ids = ref_ids.numpy()
    order_got = np.argsort(ids, axis=1)
    order_ref = np.argsort(ref_ids, axis=1)
    got_sorted = np.take_along_axis(ids, order_got, axis=1)
    ref_sorted = np.take_along_axis(ref_ids, order_ref, axis=1)
    mismatched = np.nonzero((got_sorted != ref_sorted).any(axis=1))[0]
    if mismatched.size:
        print(f"FAIL {case}: different experts for tokens {mismatched[:8].tolist()}: "
              f"got {got_sorted[mismatched[0]].tolist()}, want {ref_sorted[mismatched[0]].tolist()}")
        ok = False
    else:
        w_got = np.take_along_axis(weights, order_got, axis=1)
        w_ref = np.take_along_axis(ref_w.numpy(), order_ref, axis=1)
        werr = float(np.max(np.abs(w_got - w_ref)))
        if not werr < 1e-5:
            print(f"FAIL {case}: routing weights differ by {werr:.3e}")
            ok = False
    if ok:
        print(f"ok   {case}: relative L2 error {err:.2e}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
