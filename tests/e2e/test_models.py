#!/usr/bin/python3
"""Whole models: a Hugging Face model directory compiled and generated from.

Tiny random DeepSeek-V3 (MLA with YaRN, a dense first layer, sigmoid
group-limited routing with a correction bias, a shared expert), Mixtral,
Qwen2-MoE (q/k/v biases, a gated shared expert, a dense layer) and Qwen3-MoE
checkpoints (tests/e2e/test_hf_reference.py
makes them with the float64 reference's own model, weights rounded to what
the checkpoint holds) in the layouts found in the wild — the hub's config
spelling with per-expert tensors (Mixtral's legacy block_sparse_moe names
too) in f32, and transformers 5's spelling with packed experts in bf16,
sharded, and f16 in both layouts — are compiled with `hexmoe-compile MODEL_DIR` and run with
`hexmoe-run --prompt-ids ... --dump-logits`: the logits after the prefill and
after each of 8 decode steps match the float64 reference (hf_reference.py)
to a relative error < 1e-4 (max |difference| / max |logit|), and the greedy
tokens are the same. Mixtral's sliding window (6) is shorter than the
sequence. The KV-cache path equals recomputing the whole sequence as one
prefill. A text prompt goes through the checkpoint's tokenizer.json (ids as
the tokenizers library makes them). DeepSeek's block-scaled FP8 (the hub's
layout: every projection of the decoder layers e4m3 with a `_scale_inv`
grid, 16x32 blocks and 128x128 blocks on dims that are not multiples of 128)
matches the float64 reference on the dequantised weights to < 1e-4 under
every CPU variant the host runs and on OpenCL, referenced and embedded (one
byte a weight in the artifact). Runs past the caches and ids outside the
vocabulary are refused with a message. The shipped models/tiny/deepseek-v3-tiny
generates the reference's golden greedy tokens, from ids and from text. With
--device=opencl:0 every model case also runs there (compiled for cpu,opencl).

Usage: test_models.py --bin BUILD/bin
"""
import argparse
import json
import os
import re
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
import test_examples as E  # noqa: E402
import test_hf_reference as T  # noqa: E402

PROMPT = [3, 17, 5, 42, 9]
STEPS = 8
TOLERANCE = 1e-4  # FP8 and quantised models too, against float64 on the dequantised weights
TOKENIZER = os.path.join(ROOT, "tests", "unit", "models", "tokenizer", "fixtures", "qwen2.json")
GOLDEN = os.path.join(ROOT, "tests", "unit", "models", "tokenizer", "fixtures", "qwen2.golden.json")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--device", help="also run every model on this device (opencl:N, cuda:N)")
    ap.add_argument("--skip-absent", action="store_true", help="exit 77 (skip) when --device is not here")
    opts = ap.parse_args()
    if opts.device and opts.skip_absent:
        E.skip_unless_present(opts.bin, opts.device)
    torch.set_num_threads(1)
    compile_tool = os.path.join(opts.bin, "hexmoe-compile")
    run_tool = os.path.join(opts.bin, "hexmoe-run")
    passed = failed = 0

    def report(name, ok, detail=""):
        nonlocal passed, failed
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))
        passed += ok
        failed += not ok

    def run(args):
        p = subprocess.run(args, capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def run_env(args, env):
        p = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, **env))
        return p.returncode, p.stdout + p.stderr

    def generate(art, work, ids, steps, extra=()):
        logits = os.path.join(work, "logits.npy")
        rc, text = run([run_tool, art, f"--prompt-ids={','.join(map(str, ids))}", f"--max-new-tokens={steps}",
                        "--eos-id=-1", f"--dump-logits=@{logits}", *extra])
        if rc != 0:
            return None, None, text
        try:  # ids, unless the checkpoint has a tokenizer.json (then text)
            tokens = [int(t) for t in text.splitlines()[0].split(",")]
        except ValueError:
            tokens = []
        return tokens, np.load(logits), text

    def check(name, runs, want_tokens, want):
        """Generates with each (label, artifact, hexmoe-run args) of `runs` and compares the logits after
        the prefill and each decode step, and the greedy tokens, with the reference's; returns the last
        run's tokens and logits."""
        tokens = logits = None
        for where, artifact, extra in runs:
            tokens, logits, text = generate(artifact, work, PROMPT, STEPS, extra)
            if tokens is None:
                report(f"generate {name}{where}", False, text)
                continue
            err = float(np.abs(logits - want).max() / np.abs(want).max())
            report(f"{name}{where}: logits after prefill and {STEPS - 1} decode steps, relative error {err:.2e}",
                   logits.shape == want.shape and err < TOLERANCE, f"error {err:.3e}, shapes {logits.shape} {want.shape}")
            report(f"{name}{where}: greedy tokens {tokens}", tokens == want_tokens, f"reference {want_tokens}")
        return tokens, logits

    def embedded_bytes(text, cfg):
        """What hexmoe-compile's summary says it embedded, less the RoPE table (32 positions)."""
        m = re.search(r"weights: \d+ from the checkpoint \(\d+ bytes\), \d+ embedded \((\d+) bytes\)", text)
        rope = 32 * (cfg.get("qk_rope_head_dim") or cfg.get("head_dim") or
                     cfg["hidden_size"] // cfg["num_attention_heads"]) * 4
        return int(m.group(1)) - rope if m else -1

    device_runs = lambda art: [("", art, [])] + ([(f" on {opts.device}", art, [f"--device={opts.device}"])]  # noqa: E731
                                                 if opts.device else [])

    with tempfile.TemporaryDirectory(prefix="hexmoe-models-") as work:
        cases = [("deepseek_v3", "F32", False, False, 2), ("deepseek_v3", "BF16", True, False, 2),
                 ("mixtral", "F32", False, True, 1), ("mixtral", "BF16", True, False, 2),
                 ("qwen2_moe", "F32", False, False, 1), ("qwen2_moe", "BF16", True, False, 2),
                 ("qwen3_moe", "F32", False, False, 2), ("qwen3_moe", "BF16", True, False, 1),
                 ("deepseek_v3", "F16", False, False, 1), ("mixtral", "F16", True, False, 2)]
        for arch, dtype, v5, legacy, shards in cases:
            name = f"{arch} {dtype} {'packed, transformers 5 config' if v5 else 'per-expert, hub config'}" + \
                   (", block_sparse_moe names" if legacy else "")
            cfg = dict(T.CONFIGS[arch])
            rounding = {"BF16": torch.bfloat16, "F16": torch.float16}.get(dtype, torch.float32)
            model = T.round_model(T.random_model(cfg, 11), rounding)
            d = os.path.join(work, f"{arch}-{dtype}")
            T.write_model(d, T.v5_spelling(cfg) if v5 else cfg,
                          T.checkpoint_tensors(model, dtype, packed=v5, legacy_mixtral=legacy), shards)
            art = d + ".hxm"
            rc, text = run([compile_tool, d, "-o", art, "--max-seq-len=32", "--quiet"] +
                           (["--target=" + E.device_target(opts.device)] if opts.device else []))
            if rc != 0:
                report(f"compile {name}", False, text)
                continue
            want_tokens, want_logits = model.generate(PROMPT, STEPS)
            tokens, logits = check(name, device_runs(art), want_tokens, want_logits.numpy())
            if arch == "mixtral" and dtype == "F32" and tokens is not None:
                # The KV-cache path equals one prefill of the whole sequence.
                seq = PROMPT + tokens[:-1]
                _, full, text = generate(art, work, seq, 1)
                err = float(np.abs(full[0] - logits[-1]).max() / np.abs(logits[-1]).max()) if full is not None else 1
                report(f"{name}: cached decode equals a full prefill (relative error {err:.2e})", err < 1e-5, text)
                rc, text = run([run_tool, art, "--prompt-ids=1,2,3", "--max-new-tokens=30"])
                report("runs past the KV caches are refused", rc == 1 and "positions; the artifact's KV caches hold 32"
                       in text, text)
                rc, text = run([run_tool, art, "--prompt-ids=1,96", "--max-new-tokens=2"])
                report("ids outside the vocabulary are refused", rc == 1 and "outside the vocabulary of 96" in text, text)

        # DeepSeek's block-scaled FP8 (hub layout: every projection of the
        # decoder layers e4m3 with a `_scale_inv` grid, quantization_config):
        # the kernels read the e4m3 bytes; the reference runs in float64 on
        # the dequantised weights. 16x32 blocks leave partial blocks in every
        # tensor; 128x128 blocks on dims that are not multiples of 128 (the
        # real checkpoints' block). Every scale sits in another shard than
        # its weight.
        fp8_cases = [("16x32 blocks", (16, 32), dict(T.CONFIGS["deepseek_v3"], kv_lora_rank=32)),
                     ("128x128 blocks", (128, 128), dict(T.CONFIGS["deepseek_v3"], hidden_size=200,
                                                         q_lora_rank=144, kv_lora_rank=128,
                                                         moe_intermediate_size=136, intermediate_size=260))]
        for label, block, cfg in fp8_cases:
            name = f"deepseek_v3 FP8 e4m3, {label}"
            model = T.round_model(T.random_model(cfg, 5), torch.float32)
            tensors = T.fp8_checkpoint_tensors(T.checkpoint_tensors(model, "F32"), block)
            quantized = sum(1 for dtype, _ in tensors.values() if dtype == "F8_E4M3")
            d = os.path.join(work, f"deepseek-fp8-{block[0]}")
            T.write_model(d, dict(cfg, quantization_config={"quant_method": "fp8", "fmt": "e4m3",
                                                            "activation_scheme": "dynamic",
                                                            "weight_block_size": list(block)}), tensors, 3,
                          scales_apart=True)
            reference = R.load_model(d, torch.float64)
            want_tokens, want_logits = reference.generate(PROMPT, STEPS)
            want = want_logits.numpy()
            art = d + ".hxm"
            rc, text = run([compile_tool, d, "-o", art, "--max-seq-len=32", "--quiet"] +
                           (["--target=" + E.device_target(opts.device)] if opts.device else []))
            if rc != 0:
                report(f"compile {name}", False, text)
                continue
            # Every CPU variant this host runs (and 16-lane kernels as AVX2
            # code), and the OpenCL device.
            runs = [(f" ({v})", art, [f"--cpu-variant={v}"]) for v in E.runnable_variants() if not v.endswith("w16")]
            if "x86-64-v3-w16" in E.runnable_variants():
                art16 = d + "-w16.hxm"
                rc, text = run_env([compile_tool, d, "-o", art16, "--max-seq-len=32", "--quiet"],
                                   {"HEXMOE_CPU_VECTOR_WIDTH": "16"})
                runs.append((" (x86-64-v3, 16 lanes)", art16, ["--cpu-variant=x86-64-v3"]))
            if opts.device:
                runs.append((f" on {opts.device}", art, [f"--device={opts.device}"]))
            check(name, runs, want_tokens, want)
            # The same checkpoint embedded: exactly the checkpoint's bytes, the
            # e4m3 weights and scales copied as they are (one byte a weight),
            # and the same tokens.
            art_embedded = d + "-embedded.hxm"
            rc, text = run([compile_tool, d, "-o", art_embedded, "--max-seq-len=32", "--embed-weights"])
            tokens, _, gen_text = generate(art_embedded, work, PROMPT, STEPS) if rc == 0 else (None, None, text)
            report(f"{name}, embedded: the same greedy tokens", tokens == want_tokens, gen_text)
            stored = sum(a.nbytes for _, a in tensors.values())
            embedded = embedded_bytes(text, cfg)
            report(f"{name}: {quantized} e4m3 tensors, embedded as {embedded} bytes, the checkpoint's {stored}",
                   quantized > 0 and embedded == stored, text)

        # Quantised at compile time (--weight-type=fp8|int8) from f32
        # checkpoints: the reference holds the same codes and scales
        # (test_hf_reference.compile_time_quantized repeats the rule), so the
        # logits match it as closely as unquantised ones do; the projections
        # are embedded in one byte a weight.
        for arch, fmt in (("deepseek_v3", "fp8"), ("deepseek_v3", "int8"), ("qwen3_moe", "int8"), ("mixtral", "fp8")):
            name = f"{arch} f32 checkpoint, --weight-type={fmt}"
            cfg = dict(T.CONFIGS[arch])
            model = T.round_model(T.random_model(cfg, 8), torch.float32)
            tensors = T.checkpoint_tensors(model, "F32")
            d = os.path.join(work, f"{arch}-{fmt}")
            T.write_model(d, cfg, tensors, 1)
            art = d + ".hxm"
            rc, text = run([compile_tool, d, "-o", art, "--max-seq-len=32", f"--weight-type={fmt}"] +
                           (["--target=" + E.device_target(opts.device)] if opts.device else []))
            if rc != 0:
                report(f"compile {name}", False, text)
                continue
            embedded = embedded_bytes(text, cfg)
            quantized = T.compile_time_quantized(tensors, fmt, cfg.get("kv_lora_rank", 0))
            with torch.no_grad():
                state = model.state_dict()
                for tname, values in quantized.items():
                    state[tname].copy_(torch.from_numpy(values))
            want_tokens, want_logits = model.generate(PROMPT, STEPS)
            want = want_logits.numpy()
            # The embedded bytes: the RoPE table, then exactly a byte a
            # projection weight and an f32 scale a block (fp8: 128x128;
            # int8: 32 along a row). A bf16 copy would be 2 bytes a weight.
            weights = sum(a.size for n, (_, a) in tensors.items() if n in quantized)
            want_bytes = T.compile_time_quantized_bytes(tensors, fmt, cfg.get("kv_lora_rank", 0))
            report(f"{name}: {len(quantized)} projections, {weights} weights embedded in {embedded} bytes",
                   embedded == want_bytes, f"want {want_bytes}\n{text}")
            check(name, device_runs(art), want_tokens, want)

        # Refused, by tensor: an e4m3 NaN in a weight; a row split of an FP8
        # tensor off its scale blocks (kv_lora_rank 24 in 16-row blocks).
        qcfg = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [16, 32]}
        cfg = dict(T.CONFIGS["deepseek_v3"], kv_lora_rank=32)
        tensors = T.fp8_checkpoint_tensors(T.checkpoint_tensors(T.random_model(cfg, 6), "F32"), (16, 32))
        bad = "model.layers.1.mlp.experts.3.down_proj.weight"
        codes = tensors[bad][1].copy()
        codes.flat[37] = 0xFF
        d = os.path.join(work, "fp8-nan")
        T.write_model(d, dict(cfg, quantization_config=qcfg), dict(tensors, **{bad: ("F8_E4M3", codes)}), 1)
        rc, text = run([compile_tool, d, "-o", d + ".hxm", "--quiet"])
        report("an e4m3 NaN in a weight is refused by tensor and element", rc != 0 and
               f"F8_E4M3 tensor '{bad}' holds a NaN (byte 0xFF) at element 37" in text, text)
        cfg = T.CONFIGS["deepseek_v3"]  # kv_lora_rank 24
        tensors = T.fp8_checkpoint_tensors(T.checkpoint_tensors(T.random_model(cfg, 6), "F32"), (16, 32))
        d = os.path.join(work, "fp8-split")
        T.write_model(d, dict(cfg, quantization_config=qcfg), tensors, 1)
        rc, text = run([compile_tool, d, "-o", d + ".hxm", "--quiet"])
        report("an FP8 row split off the scale blocks is refused", rc != 0 and
               "rows [0, 24) of F8_E4M3 tensor 'model.layers.0.self_attn.kv_a_proj_with_mqa.weight' do not fall on "
               "its 16-row scale blocks" in text, text)

        # A text prompt through the checkpoint's tokenizer.json.
        with open(GOLDEN) as f:
            golden = json.load(f)
        case = next(c for c in golden["cases"] if len(c["ids"]) >= 4 and c["text"].isascii() and "\n" not in c["text"])
        cfg = dict(T.CONFIGS["qwen3_moe"], vocab_size=golden["vocab_size"])
        model = T.round_model(T.random_model(cfg, 3), torch.float32)
        d = os.path.join(work, "qwen3-text")
        T.write_model(d, cfg, T.checkpoint_tensors(model, "F32"), 1)
        shutil.copy(TOKENIZER, os.path.join(d, "tokenizer.json"))
        art = d + ".hxm"
        rc, text = run([compile_tool, d, "-o", art, "--max-seq-len=64", "--quiet"])
        report("compile a model with a tokenizer.json", rc == 0, text)
        logits_text = os.path.join(work, "text.npy")
        rc, text = run([run_tool, art, f"--prompt={case['text']}", "--max-new-tokens=4", "--eos-id=-1",
                        f"--dump-logits=@{logits_text}"])
        _, from_ids, _ = generate(art, work, case["ids"], 4)
        same = rc == 0 and from_ids is not None and np.array_equal(np.load(logits_text), from_ids)
        report(f"--prompt={case['text']!r} encodes as the tokenizers library does", same, text)
        report("the generated text and the speeds are printed", rc == 0 and "tokens/s" in text.splitlines()[-1], text)

        # The shipped tiny DeepSeek-V3: the golden greedy tokens of the
        # reference, and a text prompt through its own tokenizer.
        tiny = os.path.join(ROOT, "models", "tiny", "deepseek-v3-tiny")
        with open(tiny + ".golden.json") as f:
            golden = json.load(f)
        art = os.path.join(work, "tiny.hxm")
        rc, text = run([compile_tool, tiny, "-o", art, "--max-seq-len=128", "--quiet"])
        report("compile models/tiny/deepseek-v3-tiny", rc == 0, text)
        tokens, _, text = generate(art, work, golden["prompt_ids"], golden["max_new_tokens"], ["--print-ids"])
        report(f"the shipped model's greedy tokens are the reference's ({len(golden['greedy_f64'])} tokens)",
               tokens == golden["greedy_f64"], f"got {tokens}\nwant {golden['greedy_f64']}\n{text}")
        rc, text = run([run_tool, art, "--prompt=The", f"--max-new-tokens={golden['max_new_tokens']}", "--eos-id=-1",
                        "--print-ids"])
        got = [int(t) for t in text.splitlines()[0].split(",")] if rc == 0 else None
        report("--prompt=The encodes to the golden prompt ids (BOS, The)", got == golden["greedy_f64"], text)
        # A moved checkpoint is found with --weights (its tokenizer too); an
        # embedded artifact runs with no checkpoint at all.
        moved = os.path.join(work, "moved-tiny")
        shutil.copytree(tiny, moved)
        art_moved = os.path.join(work, "tiny-moved.hxm")
        rc, text = run([compile_tool, moved, "-o", art_moved, "--max-seq-len=128", "--quiet"])
        art_embedded = os.path.join(work, "tiny-embedded.hxm")
        rc2, text2 = run([compile_tool, moved, "-o", art_embedded, "--max-seq-len=128", "--embed-weights", "--quiet"])
        report("compile the copy, referenced and embedded", rc == 0 and rc2 == 0, text + text2)
        elsewhere = os.path.join(work, "elsewhere")
        shutil.move(moved, elsewhere)
        rc, text = run([run_tool, art_moved, "--prompt=The", "--max-new-tokens=4"])
        report("a moved checkpoint is not found", rc == 1 and "--weights=DIR" in text, text)
        rc, text = run([run_tool, art_moved, f"--weights={elsewhere}", "--prompt=The",
                        f"--max-new-tokens={golden['max_new_tokens']}", "--eos-id=-1", "--print-ids"])
        got = [int(t) for t in text.splitlines()[0].split(",")] if rc == 0 else None
        report("--weights=DIR finds it, and its tokenizer", got == golden["greedy_f64"], text)
        shutil.rmtree(elsewhere)
        tokens, _, text = generate(art_embedded, work, golden["prompt_ids"], golden["max_new_tokens"], ["--print-ids"])
        report("the embedded artifact runs with the checkpoint gone", tokens == golden["greedy_f64"], text)
        rc, text = run([run_tool, art, "--prompt=The", "--max-new-tokens=8", "--tokenizer=/nonexistent/tokenizer.json"])
        report("a --tokenizer that does not exist is an error", rc == 1 and "/nonexistent/tokenizer.json" in text, text)

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
