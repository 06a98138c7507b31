#!/usr/bin/python3
"""The GPU targets' programs, checked offline (no GPU needed): cuda-source, hip-source, cuda, rocm.

Every kernel the compiler writes is covered: both example layers in f32 and bf16, and
tiny random DeepSeek-V3, Mixtral and Qwen2-MoE models (every decoder op: MLA and GQA
attention with a sliding window, RoPE, KV cache, RMSNorm, shared and gated shared experts)
with f16 weights, one DeepSeek-V3 model as an FP8 checkpoint with block scales and one
quantised to int8 at compile time. Each is compiled with --target=cuda-source,hip-source,cuda,rocm and:
  - its CUDA C++ compiles with nvcc to cubins for sm_80 and sm_90;
  - the cuda driver's own NVRTC path (nvrtc_compile) turns it into PTX for compute_80 and
    compute_90, and ptxas accepts that PTX for sm_80 and sm_90;
  - its HIP C++ compiles with hipcc for gfx906 and gfx90a, and through the hip driver's own
    hipRTC path (hiprtc_compile) into AMDGPU code objects that llvm-readelf names gfx906 and
    gfx90a;
  - the cuda target's PTX (clang, ahead of time) passes ptxas for sm_80 and sm_90, and the
    rocm target's code objects are AMDGPU code objects for gfx906, gfx90a, gfx942 and gfx950
    (llvm-readelf); each carries every kernel's ABI record once;
  - the programs' shared helpers (bf16, f16 and e4m3 widening, block-scale indexing),
    compiled for the host with clang++-22, equal numpy's conversions for every bit pattern,
    and the freestanding programs' own exp and erf are within 2 ulp and 6e-7 of float64.
A check whose compiler is missing fails unless --allow-missing names it (nvcc and NVRTC
come with the CUDA toolkit, hipcc with Debian's hipcc package).

Usage: test_source_targets.py --bin BUILD/bin --nvrtc-compile BUILD/tests/bin/nvrtc_compile
                              --hiprtc-compile BUILD/tests/bin/hiprtc_compile
                              [--allow-missing=hipcc,nvcc,nvrtc,hiprtc] [--layers-only]
"""
import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import hf_reference as R  # noqa: E402
import test_hf_reference as H  # noqa: E402

EXAMPLES = os.path.join(ROOT, "models", "examples")
CUDA_BIN = "/usr/local/cuda/bin"


def find_tool(name, extra_dirs=()):
    for d in extra_dirs:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return shutil.which(name)


def model_dirs(work):
    """Model directories covering every decoder op and weight format; yields (name, dir, flags)."""
    # Two layers each (the kernels repeat per layer): DeepSeek's first dense, then MoE with MLA;
    # Mixtral's GQA with a sliding window; Qwen2-MoE's gated shared expert, then a dense layer.
    # Qwen3-MoE adds no kernel of its own.
    for arch in ("deepseek_v3", "mixtral", "qwen2_moe"):
        cfg = dict(H.CONFIGS[arch], num_hidden_layers=2)
        model = H.random_model(cfg, seed=3)
        d = os.path.join(work, arch + "-f16")
        os.makedirs(d)
        H.write_model(d, cfg, H.checkpoint_tensors(model, "F16"), shards=1)
        yield arch + " f16", d, []
    # kv_lora_rank 32: kv_a_proj_with_mqa's pieces start on the 16-row scale blocks.
    base = dict(H.CONFIGS["deepseek_v3"], kv_lora_rank=32, num_hidden_layers=2)
    cfg = dict(base, quantization_config={
        "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [16, 32]})
    model = H.random_model(base, seed=4)
    d = os.path.join(work, "deepseek_v3-fp8")
    os.makedirs(d)
    H.write_model(d, cfg, H.fp8_checkpoint_tensors(H.checkpoint_tensors(model, "F32"), (16, 32)), shards=2)
    yield "deepseek_v3 fp8 checkpoint", d, []
    d = os.path.join(work, "deepseek_v3-f32")
    os.makedirs(d)
    H.write_model(d, base, H.checkpoint_tensors(model, "F32"), shards=1)
    yield "deepseek_v3 int8 at compile time", d, ["--weight-type=int8"]


HELPER_SHIM = r"""
#include <cstring>
#define __device__
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline float __int_as_float(int u) { float f; std::memcpy(&f, &u, 4); return f; }
"""

HELPER_EXPORTS = r"""
extern "C" void widen_f16(const ushort* in, float* out, long n) { for (long i = 0; i < n; ++i) out[i] = hx_f16(in[i]); }
extern "C" void widen_bf16(const ushort* in, float* out, long n) { for (long i = 0; i < n; ++i) out[i] = hx_bf16(in[i]); }
extern "C" void widen_fp8(const uchar* in, float* out, long n) { for (long i = 0; i < n; ++i) out[i] = hx_fp8(in[i]); }
extern "C" long block_of(long i, long rows, long cols, long br, long bc) { return hx_block(i, rows, cols, br, bc); }
extern "C" long clamp_long(long x, long lo, long hi) { return clamp(x, lo, hi); }
"""


def e4m3(byte):
    """The e4m3fn value of a byte, from the format's definition."""
    s = -1.0 if byte & 0x80 else 1.0
    e, m = (byte >> 3) & 15, byte & 7
    if e == 15 and m == 7:
        return float("nan")
    return s * (m / 8 * 2.0 ** -6 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))


def check_helpers(source, work, check):
    """The prelude of a CUDA C++ program, built for the host, against numpy."""
    prelude = source[:source.index("// Work-item ids.")]
    cpp = os.path.join(work, "helpers.cpp")
    lib = os.path.join(work, "helpers.so")
    with open(cpp, "w") as f:
        f.write(HELPER_SHIM + prelude + HELPER_EXPORTS)
    p = subprocess.run(["clang++-22", "-std=c++17", "-O1", "-shared", "-fPIC", "-o", lib, cpp],
                       capture_output=True, text=True)
    if not check("the programs' helpers build for the host", p.returncode == 0, p.stderr):
        return
    h = ctypes.CDLL(lib)
    h.block_of.restype = h.clamp_long.restype = ctypes.c_long
    h.block_of.argtypes = [ctypes.c_long] * 5
    h.clamp_long.argtypes = [ctypes.c_long] * 3

    def widen(fn, bits):
        out = np.zeros(bits.size, np.float32)
        fn(bits.ctypes.data_as(ctypes.c_void_p), out.ctypes.data_as(ctypes.c_void_p), ctypes.c_long(bits.size))
        return out

    u16 = np.arange(65536, dtype=np.uint16)
    want = u16.view(np.float16).astype(np.float32)
    got = widen(h.widen_f16, u16)
    check("hx_f16 widens all 65536 f16 values exactly",
          np.array_equal(got.view(np.uint32)[~np.isnan(want)], want.view(np.uint32)[~np.isnan(want)])
          and np.isnan(got[np.isnan(want)]).all())
    want = (u16.astype(np.uint32) << 16).view(np.float32)
    got = widen(h.widen_bf16, u16)
    check("hx_bf16 widens all 65536 bf16 values exactly", np.array_equal(got.view(np.uint32), want.view(np.uint32)))
    u8 = np.arange(256, dtype=np.uint8)
    want = np.array([e4m3(b) for b in range(256)], np.float32)
    got = widen(h.widen_fp8, u8)
    check("hx_fp8 decodes all 256 e4m3fn bytes exactly",
          np.array_equal(got[~np.isnan(want)], want[~np.isnan(want)]) and np.isnan(got[np.isnan(want)]).all())
    # [2 experts, 5 rows, 7 cols] in blocks of 2x3: partial blocks at both edges.
    ok = True
    for i in range(2 * 5 * 7):
        m, r, c = i // 35, (i // 7) % 5, i % 7
        ok &= h.block_of(i, 5, 7, 2, 3) == (m * 3 + r // 2) * 3 + c // 3
    check("hx_block indexes partial edge blocks", ok)
    check("clamp", [h.clamp_long(x, 0, 9) for x in (-5, 0, 4, 9, 12)] == [0, 0, 4, 9, 9])


def check_freestanding_math(work, check, bindir):
    """The freestanding prelude's exp and erf (targets cuda and rocm), built for the host, against float64."""
    # The freestanding prelude is what the cuda target compiles; emit it through the tool's dump.
    fs_dump = os.path.join(work, "fs")
    p = subprocess.run([os.path.join(bindir, "hexmoe-compile"), os.path.join(EXAMPLES, "mixtral_layer.mlir"),
                        "--target=cuda:sm_90", "--dump-kernels=" + fs_dump, "-o", os.path.join(work, "fs.hxm"),
                        "--quiet"], capture_output=True, text=True)
    if not check("the cuda target compiles the layer", p.returncode == 0, p.stderr):
        return
    prelude_file = os.path.join(fs_dump, "cuda.cu")
    if not check("the cuda target dumps its freestanding source", os.path.exists(prelude_file), fs_dump):
        return
    text = open(prelude_file).read()
    prelude = text[:text.index("// Work-item ids.")]
    cpp = os.path.join(work, "fsmath.cpp")
    lib = os.path.join(work, "fsmath.so")
    with open(cpp, "w") as f:
        f.write("#define __device__\n" + prelude +
                'extern "C" void vexp(const float* x, float* y, long n) { for (long i = 0; i < n; ++i) y[i] = exp(x[i]); }\n'
                'extern "C" void verf(const float* x, float* y, long n) { for (long i = 0; i < n; ++i) y[i] = erf(x[i]); }\n')
    p = subprocess.run(["clang++-22", "-std=c++17", "-O1", "-shared", "-fPIC", "-o", lib, cpp],
                       capture_output=True, text=True)
    if not check("the freestanding math builds for the host", p.returncode == 0, p.stderr):
        return
    h = ctypes.CDLL(lib)

    def run(fn, x):
        y = np.zeros_like(x)
        fn(x.ctypes.data_as(ctypes.c_void_p), y.ctypes.data_as(ctypes.c_void_p), ctypes.c_long(x.size))
        return y

    x = np.concatenate([np.linspace(-87, 88, 200001, dtype=np.float32),
                        np.array([0.0, -0.0, 1e-30, -1e-30, 88.7], np.float32)])
    want = np.exp(x.astype(np.float64))
    got = run(h.vexp, x).astype(np.float64)
    ulp = np.spacing(want.astype(np.float32)).astype(np.float64)
    worst = float(np.max(np.abs(got - want) / ulp))
    special = run(h.vexp, np.array([np.inf, -np.inf, np.nan, 100.0, -100.0], np.float32))
    check(f"freestanding exp: within 2 ulp on [-87, 88] (worst {worst:.2f}), inf/-inf/nan/overflow/underflow",
          worst <= 2.0 and special[0] == np.inf and special[1] == 0 and np.isnan(special[2])
          and special[3] == np.inf and special[4] == 0)
    x = np.linspace(-6, 6, 120001, dtype=np.float32)
    import math
    want = np.array([math.erf(float(v)) for v in x])
    err = float(np.max(np.abs(run(h.verf, x).astype(np.float64) - want)))
    # Abramowitz and Stegun's 1.5e-7, plus rounding in float.
    check(f"freestanding erf: absolute error {err:.1e} < 6e-7 on [-6, 6]", err < 6e-7)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--nvrtc-compile", required=True, help="the cuda driver's NVRTC path as a tool")
    ap.add_argument("--hiprtc-compile", required=True, help="the hip driver's hipRTC path as a tool")
    ap.add_argument("--allow-missing", default="", help="compilers whose absence skips their checks")
    ap.add_argument("--layers-only", action="store_true",
                    help="only the example layers (the sanitizer tier: the instrumented parts are the same)")
    opts = ap.parse_args()
    allowed = set(filter(None, opts.allow_missing.split(",")))
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else ": " + detail[-3000:]))
        passed += bool(ok)
        failed += not ok
        return ok

    nvcc = find_tool("nvcc", [CUDA_BIN])
    ptxas = find_tool("ptxas", [CUDA_BIN])
    hipcc = find_tool("hipcc")
    tools = {"nvcc": nvcc and ptxas, "hipcc": hipcc}
    for name, present in tools.items():
        if not present:
            if name in allowed:
                print(f"skip {name} checks: {name} is not installed")
            else:
                check(f"{name} is installed", False, f"{name} not found (or pass --allow-missing={name})")

    with tempfile.TemporaryDirectory(prefix="hexmoe-source-") as work:
        inputs = [(f"{n} layer {t}", os.path.join(EXAMPLES, n + "_layer.mlir"), ["--weight-type=" + t])
                  for n in ("mixtral", "deepseek_v3") for t in ("f32", "bf16")]
        layer_count = len(inputs)
        if not opts.layers_only:
            inputs += list(model_dirs(work))
        first_cuda = None
        nvrtc_missing = hiprtc_missing = False
        for i, (name, path, flags) in enumerate(inputs):
            dump = os.path.join(work, f"dump{i}")
            art = os.path.join(work, f"a{i}.hxm")
            # Every rocm architecture for the layers; the oldest and the newest but one for models.
            rocm = "rocm" if i < layer_count else "rocm:gfx906,rocm:gfx942"
            p = subprocess.run([os.path.join(opts.bin, "hexmoe-compile"), path,
                                "--target=cuda-source,hip-source,cuda," + rocm,
                                "--dump-kernels=" + dump, "-o", art, "--quiet"] + flags,
                               capture_output=True, text=True)
            if not check(f"{name}: compiles for cuda-source,hip-source,cuda,rocm", p.returncode == 0, p.stderr):
                continue
            records = [line for line in open(os.path.join(dump, "cuda-cpp.cu")).read().splitlines()
                       if line.startswith("//@hexmoe-abi ")]
            for arch in (80, 90):
                ptx_file = os.path.join(dump, f"ptx-sm_{arch}.ptx")
                ptx_text = open(ptx_file).read()
                check(f"{name}: cuda sm_{arch} PTX carries its {len(records)} ABI records",
                      all(ptx_text.count(r + "\n") == 1 for r in records) and f".target sm_{arch}" in ptx_text)
                if ptxas:
                    p = subprocess.run([ptxas, f"-arch=sm_{arch}", "-o", os.path.join(dump, f"aot_{arch}.cubin"),
                                        ptx_file], capture_output=True, text=True)
                    check(f"{name}: ptxas sm_{arch} on the cuda target's PTX", p.returncode == 0, p.stderr)
            for gfx in ("gfx906", "gfx90a", "gfx942", "gfx950"):
                co = os.path.join(dump, f"hsaco-{gfx}.hsaco")
                if i >= layer_count and not os.path.exists(co):
                    continue
                blob = open(co, "rb").read()
                p = subprocess.run(["llvm-readelf-22", "-h", co], capture_output=True, text=True)
                flags = [line for line in p.stdout.splitlines() if "Flags:" in line]
                check(f"{name}: rocm {gfx} is an AMDGPU code object carrying its ABI records",
                      "EM_AMDGPU" in p.stdout and flags and f" {gfx}" in flags[0]
                      and all(blob.count(b"\n" + r.encode() + b"\n") == 1 for r in records), p.stdout + p.stderr)
            cu, hip = os.path.join(dump, "cuda-cpp.cu"), os.path.join(dump, "hip-cpp.hip")
            first_cuda = first_cuda or cu
            kernels = open(cu).read().count('extern "C" __global__')
            for arch in (80, 90):
                if nvcc:
                    p = subprocess.run([nvcc, f"-arch=sm_{arch}", "-cubin", "-o", os.path.join(dump, f"sm_{arch}.cubin"),
                                        cu], capture_output=True, text=True)
                    check(f"{name}: nvcc sm_{arch} ({kernels} kernels)", p.returncode == 0, p.stderr)
                if nvrtc_missing:
                    continue
                ptx = os.path.join(dump, f"compute_{arch}.ptx")
                p = subprocess.run([opts.nvrtc_compile, cu, str(arch), ptx], capture_output=True, text=True)
                if p.returncode == 77:
                    nvrtc_missing = True
                    if "nvrtc" in allowed:
                        print("skip NVRTC checks: " + p.stderr.strip())
                    else:
                        check("NVRTC is present", False, p.stderr)
                    continue
                if check(f"{name}: the cuda driver's NVRTC, compute_{arch}", p.returncode == 0, p.stderr) and ptxas:
                    p = subprocess.run([ptxas, f"-arch=sm_{arch}", "-o", os.path.join(dump, f"nvrtc_{arch}.cubin"),
                                        ptx], capture_output=True, text=True)
                    check(f"{name}: ptxas sm_{arch} on NVRTC's PTX", p.returncode == 0, p.stderr)
            for gfx in ("gfx906", "gfx90a"):
                if hipcc:
                    p = subprocess.run([hipcc, "--genco", f"--offload-arch={gfx}", "-o",
                                        os.path.join(dump, f"{gfx}.co"), hip], capture_output=True, text=True)
                    check(f"{name}: hipcc {gfx}", p.returncode == 0, p.stderr)
                if hiprtc_missing:
                    continue
                co = os.path.join(dump, f"hiprtc_{gfx}.co")
                p = subprocess.run([opts.hiprtc_compile, hip, gfx, co], capture_output=True, text=True)
                if p.returncode == 77:
                    hiprtc_missing = True
                    if "hiprtc" in allowed:
                        print("skip hipRTC checks: " + p.stderr.strip())
                    else:
                        check("hipRTC is present", False, p.stderr)
                    continue
                if check(f"{name}: the hip driver's hipRTC, {gfx}", p.returncode == 0, p.stderr):
                    p = subprocess.run(["llvm-readelf-22", "-h", co], capture_output=True, text=True)
                    flags = [line for line in p.stdout.splitlines() if "Flags:" in line]
                    check(f"{name}: an AMDGPU code object for {gfx}", "EM_AMDGPU" in p.stdout and flags
                          and f" {gfx}" in flags[0], p.stdout + p.stderr)
        if first_cuda:
            check_helpers(open(first_cuda).read(), work, check)
            check_freestanding_math(work, check, opts.bin)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
