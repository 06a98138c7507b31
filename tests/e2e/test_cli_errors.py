#!/usr/bin/python3
"""hexmoe-run on real compiled artifacts: every bad input gets a clear error.

Compiles models/examples/mixtral_layer.mlir and checks that a flipped byte, a
truncated file, a host lacking the only variant's features, and calls with the
wrong arity, shape or dtype each fail with a message naming what is wrong,
while the good call succeeds. Then the trust policy: a signed artifact runs
under --trust with its key, and an unsigned, other-key or edited-after-signing
one is refused. With --opencl, the OpenCL driver's errors too: no OpenCL
code, an edited ABI record, source that does not build, a missing ICD loader,
a device number past the last. With --cuda, the cuda driver's where no GPU is:
no libcuda.so.1, the CUDA toolkit's stub library in its place, an artifact
without CUDA code, a bad block size; and the hip driver's: no HIP runtime, or
one that sees no GPU.

Usage: test_cli_errors.py --bin BUILD/bin [--opencl] [--cuda] [--hip]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(ROOT, "models", "examples", "mixtral_layer.mlir")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--opencl", action="store_true", help="also check the opencl driver (device opencl:0)")
    ap.add_argument("--cuda", action="store_true", help="also check the cuda driver's errors")
    ap.add_argument("--hip", action="store_true", help="also check the hip driver's errors")
    opts = ap.parse_args()
    run_tool = os.path.join(opts.bin, "hexmoe-run")
    passed = failed = 0

    def expect(name, args, want_ok, *needles, env=None, tool=run_tool):
        nonlocal passed, failed
        p = subprocess.run([tool] + args, capture_output=True, text=True,
                           env=dict(os.environ, **(env or {})))
        text = p.stdout + p.stderr
        ok = (p.returncode == 0) == want_ok and all(n in text for n in needles)
        if not want_ok and not 1 <= p.returncode <= 2:
            ok = False  # a crash or a signal is never a clear error
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": rc={p.returncode}\n{text}"))
        passed += ok
        failed += not ok

    with tempfile.TemporaryDirectory(prefix="hexmoe-cli-") as work:
        art = os.path.join(work, "m.hxm")
        v3 = os.path.join(work, "m3.hxm")
        for out, target in ((art, "cpu"), (v3, "cpu:x86-64-v3")):
            subprocess.run([os.path.join(opts.bin, "hexmoe-compile"), EXAMPLE,
                            f"--target={target}", "-o", out, "--quiet"], check=True)
        rng = np.random.default_rng(0)
        shapes = {"hidden": (3, 256), "router": (8, 256), "gate": (8, 512, 256),
                  "up": (8, 512, 256), "down": (8, 256, 512)}
        paths = {}
        for n, s in shapes.items():
            paths[n] = os.path.join(work, n + ".npy")
            np.save(paths[n], rng.standard_normal(s).astype(np.float32))
        bad_gate = os.path.join(work, "bad_gate.npy")
        np.save(bad_gate, np.zeros((8, 512, 128), np.float32))
        int_hidden = os.path.join(work, "int_hidden.npy")
        np.save(int_hidden, np.zeros((3, 256), np.int32))
        inputs = [f"--input=@{paths[n]}" for n in shapes]
        out = ["--output=@" + os.path.join(work, "out.npy")]

        expect("good call", [art] + inputs + out, True)
        expect("good call on the x86-64-v3-only artifact", [v3] + inputs + out, True)
        expect("per-kernel profile", [art, "--profile", "--repeat=3"] + inputs + out, True,
               "mixtral_layer_0_router", "mixtral_layer_2_expert_gate_up",
               "mixtral_layer_4_combine", "share")

        data = bytearray(open(art, "rb").read())
        flipped = os.path.join(work, "flipped.hxm")
        data[len(data) // 2] ^= 0x40
        open(flipped, "wb").write(data)
        expect("corrupted artifact", [flipped] + inputs + out, False, "flipped.hxm", "checksum")

        truncated = os.path.join(work, "truncated.hxm")
        open(truncated, "wb").write(open(art, "rb").read()[:-100])
        expect("truncated artifact", [truncated] + inputs + out, False, "truncated.hxm")

        notart = os.path.join(work, "not.hxm")
        open(notart, "wb").write(b"hello")
        expect("not an artifact", [notart], False, "not.hxm", "not a hexmoe artifact")

        expect("host lacks the only variant's features", [v3, "--cpu-features=-avx2"] + inputs + out,
               False, "x86-64-v3", "avx2")
        expect("host lacks the only variant's features (environment)", [v3] + inputs + out,
               False, "avx2", env={"HEXMOE_CPU_FEATURES": "-avx2,-fma"})
        expect("wrong arity", [art] + inputs[:4] + out, False, "expected 5 inputs, got 4")
        expect("wrong shape", [art] + inputs[:2] + [f"--input=@{bad_gate}"] + inputs[3:] + out,
               False, "gate_proj", "[8,512,256]", "[8,512,128]")
        expect("wrong dtype", [art, f"--input=@{int_hidden}"] + inputs[1:] + out, False,
               "hidden", "f32")
        expect("missing input file", [art, "--input=@" + os.path.join(work, "nope.npy")]
               + inputs[1:] + out, False, "nope.npy")

        # Signing and the trust policy, through both tools.
        compile_tool = os.path.join(opts.bin, "hexmoe-compile")
        key, other = os.path.join(work, "release.key"), os.path.join(work, "other.key")
        expect("generate a key pair", ["--generate-key=" + key], True, "release.key.pub",
               tool=compile_tool)
        expect("a key is never overwritten", ["--generate-key=" + key], False, "exists",
               tool=compile_tool)
        subprocess.run([compile_tool, "--generate-key=" + other, "--quiet"], check=True)
        signed = os.path.join(work, "signed.hxm")
        expect("compile and sign", [EXAMPLE, "--sign=" + key, "-o", signed, "--quiet"], True,
               tool=compile_tool)
        signed_out = os.path.join(work, "signed_out.npy")
        expect("a signed artifact runs under its key", [signed, "--trust=" + key + ".pub"] + inputs
               + ["--output=@" + signed_out], True)
        if not np.array_equal(np.load(signed_out), np.load(os.path.join(work, "out.npy"))):
            print("FAIL a signed artifact computes what the unsigned one does")
            failed += 1
        pub_hex = open(key + ".pub").read().split()[1]
        expect("the key given as hex digits", [signed, "--trust=" + pub_hex, "--list"], True,
               "signed by:   " + pub_hex)
        expect("an unsigned artifact under a policy", [art, "--trust=" + key + ".pub", "--list"],
               False, "m.hxm: not signed", "ed25519:" + pub_hex[:8])
        expect("a signed artifact under another key", [signed, "--trust=" + other + ".pub", "--list"],
               False, "signed.hxm: signed by ed25519:" + pub_hex[:8], "does not trust")
        resigned = os.path.join(work, "resigned.hxm")
        expect("an artifact re-signed by another key",
               [signed, "--sign=" + other, "-o", resigned, "--quiet"], True, tool=compile_tool)
        expect("... is refused under the first key", [resigned, "--trust=" + key + ".pub", "--list"],
               False, "resigned.hxm: signed by", "does not trust")
        # One payload byte changed and the container checksum recomputed.
        data = bytearray(open(signed, "rb").read())
        body = len(data) - 104
        data[body // 2] ^= 0x40
        h = 0xcbf29ce484222325
        for b in data[32:body]:
            h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        data[24:32] = h.to_bytes(8, "little")
        tampered = os.path.join(work, "tampered.hxm")
        open(tampered, "wb").write(data)
        for policy in (["--trust=" + key + ".pub"], []):
            expect("an edit after signing" + (" under a policy" if policy else ", no policy"),
                   [tampered, "--list"] + policy, False, "tampered.hxm: its signature by",
                   "changed after it was signed")
        os.chmod(key, 0o644)
        expect("a secret key others may read", [EXAMPLE, "--sign=" + key, "-o", resigned], False,
               "chmod 600", tool=compile_tool)
        expect("--trust with a bad key", [signed, "--trust=" + EXAMPLE, "--list"], False,
               "not a public key")
        if opts.opencl:
            ocl = os.path.join(work, "ocl.hxm")
            subprocess.run([os.path.join(opts.bin, "hexmoe-compile"), EXAMPLE,
                            "--target=cpu,opencl", "-o", ocl, "--quiet"], check=True)
            dev = ["--device=opencl:0"]
            expect("good call on opencl:0", [ocl] + dev + inputs + out, True)
            expect("per-kernel profile on opencl:0", [ocl, "--profile"] + dev + inputs + out, True,
                   "mixtral_layer_2_expert_gate_up", "share")
            expect("a CPU-only artifact on opencl:0", [art] + dev + inputs + out, False,
                   "m.hxm", "no OpenCL code", "--target=opencl")
            expect("an OpenCL device past the last", [ocl, "--device=opencl:7", "--list"], False,
                   "no device opencl:7")
            expect("an unknown opencl driver option", [ocl, "--driver-option=opencl.foo=1", "--list"] + dev,
                   False, "unknown option 'foo'", "build_options")
            expect("a bad build option", [ocl, "--driver-option=opencl.build_options=-no-such-flag",
                                          "--list"] + dev, False, "ocl.hxm", "opencl-c program")
            missing = {"HEXMOE_OPENCL_LIBRARY": "libhexmoe-no-such-opencl.so.1"}
            expect("no ICD loader", [ocl, "--list"] + dev, False, "libhexmoe-no-such-opencl.so.1",
                   "is not installed", env=missing)
            expect("no ICD loader, listing", ["--list-devices"], True, "unavailable", "opencl",
                   env=missing)
            source = bytearray(open(ocl, "rb").read())

            def edited(name, old, new):
                assert len(old) == len(new)
                data = bytearray(source)
                at = data.find(old)
                assert at > 0, old
                data[at:at + len(old)] = new
                h = 0xcbf29ce484222325
                for b in data[32:]:
                    h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
                data[24:32] = h.to_bytes(8, "little")
                path = os.path.join(work, name)
                open(path, "wb").write(data)
                return path

            # The router's ABI record says 1 workgroup per token; claim 2.
            abi = edited("abi.hxm", b"//@hexmoe-abi mixtral_layer_0_router 1 1 1",
                         b"//@hexmoe-abi mixtral_layer_0_router 1 2 1")
            expect("an edited ABI record", [abi, "--list"] + dev, False, "abi.hxm",
                   "mixtral_layer_0_router", "does not match its code", "workgroups per tile")
            broken = edited("broken.hxm", b"g8 = fma(a8,", b"g8 = fmz(a8,")
            expect("OpenCL C that does not build", [broken, "--list"] + dev, False, "broken.hxm",
                   "CL_BUILD_PROGRAM_FAILURE", "fmz")
        if opts.cuda:
            cu = os.path.join(work, "cu.hxm")
            subprocess.run([os.path.join(opts.bin, "hexmoe-compile"), EXAMPLE,
                            "--target=cpu,cuda-source", "-o", cu, "--quiet"], check=True)
            dev = ["--device=cuda:0"]
            missing = {"HEXMOE_CUDA_LIBRARY": "libhexmoe-no-such-cuda.so.1"}
            expect("no CUDA driver", [cu, "--list"] + dev, False, "libhexmoe-no-such-cuda.so.1",
                   "is not installed", "NVIDIA's GPU driver", env=missing)
            expect("no CUDA driver, listing", ["--list-devices"], True, "unavailable", "cuda:", env=missing)
            expect("the cuda-source artifact still runs on the CPU", [cu] + inputs + out, True, env=missing)
            stub = "/usr/local/cuda/lib64/stubs/libcuda.so"
            if os.path.exists(stub):
                expect("the toolkit's stub as the driver", [cu, "--list"] + dev, False, "stub library",
                       env={"HEXMOE_CUDA_LIBRARY": stub})
                expect("the toolkit's stub, listing", ["--list-devices"], True, "cuda: ", "stub library",
                       env={"HEXMOE_CUDA_LIBRARY": stub})
            listing = subprocess.run([run_tool, "--list-devices"], capture_output=True, text=True).stdout
            if "cuda:0" in listing.split("unavailable:")[0]:
                # A GPU is here: the driver's own refusals.
                expect("a CPU-only artifact on cuda:0", [art] + dev + inputs + out, False, "no CUDA code",
                       "--target=cuda-source")
                expect("a bad block size", [cu, "--driver-option=cuda.block_size=100", "--list"] + dev, False,
                       "multiple of 32")
                expect("good call on cuda:0", [cu] + dev + inputs + out, True)
        if opts.hip:
            hp = os.path.join(work, "hip.hxm")
            subprocess.run([os.path.join(opts.bin, "hexmoe-compile"), EXAMPLE,
                            "--target=cpu,hip-source", "-o", hp, "--quiet"], check=True)
            nohip = {"HEXMOE_HIP_LIBRARY": "libhexmoe-no-such-amdhip64.so"}
            expect("no HIP runtime", [hp, "--list", "--device=hip:0"], False, "libhexmoe-no-such-amdhip64.so",
                   "is not installed", env=nohip)
            expect("no HIP runtime, listing", ["--list-devices"], True, "unavailable", "hip: ", env=nohip)
            listing = subprocess.run([run_tool, "--list-devices"], capture_output=True, text=True).stdout
            if "hip:0" not in listing.split("unavailable:")[0]:
                expect("a HIP runtime without a GPU", [hp, "--list", "--device=hip:0"], False, "hip")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
