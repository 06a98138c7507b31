#!/usr/bin/python3
"""Trains models/tiny/deepseek-v3-tiny: a small DeepSeek-V3-architecture MoE on Debian's fortunes.

The model is tests/e2e/hf_reference.py's own CausalLM in float32 (one implementation for
training and for the reference): MLA, YaRN RoPE, a dense first layer, then routed experts
in groups with sigmoid scoring and one shared expert. The router's e_score_correction_bias
is learned by DeepSeek-V3's auxiliary-loss-free balancing: after every step,
bias += gamma * sign(mean load - expert load). The byte-level BPE tokenizer (DeepSeek-V3's
pre-tokenizer and special tokens) is trained with the `tokenizers` package, which Debian
lacks, so that step runs under a venv's python (.venv/ from scripts/make_venv.sh, or
.venv-oracle/). Everything is seeded: a rerun writes the same files.

    scripts/train_tiny_model.py                  # ~30 min on one core
    scripts/train_tiny_model.py --steps 50 --out /tmp/tiny   # a quick try

Needs `fortune-mod fortunes` (scripts/setup.sh) and one thread (torch.set_num_threads(1)).
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORTUNES = "/usr/share/games/fortunes"
SKIP = {"art", "ascii-art", "translate-me"}  # pictures and non-English
BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
PROMPTS = ["The", "A man", "Love is", "You will", "Q: What is", "There is no"]
SEED = 1234


def read_fortunes():
    docs = []
    for name in sorted(os.listdir(FORTUNES)):
        path = os.path.join(FORTUNES, name)
        if "." in name or name in SKIP or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for doc in text.split("\n%\n"):
            doc = doc.strip("\n%")
            if doc.strip():
                docs.append(doc)
    return docs


# ------------------------------------------------ tokenizer (runs under a venv's python)

def tokenizer_step(work, vocab_size):
    """Trains the tokenizer on work/corpus.json and writes work/tokenizer.json, work/ids.json."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    with open(os.path.join(work, "corpus.json")) as f:
        docs = json.load(f)
    tok = Tokenizer(models.BPE())
    # DeepSeek-V3's tokenizer.json: digits in runs of at most three, CJK runs, words and
    # punctuation, then byte-level without its own regex.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\p{N}{1,3}"), behavior="isolated"),
        pre_tokenizers.Split(Regex(r"[一-龥\u3040-ゟ゠-ヿ]+"), behavior="isolated"),
        pre_tokenizers.Split(Regex(
            r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"
            r"| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[BOS, EOS], min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(docs, trainer)
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
                                      special_tokens=[(BOS, tok.token_to_id(BOS))]),
    ])
    tok.save(os.path.join(work, "tokenizer.json"))
    ids = [e.ids for e in tok.encode_batch(docs)]  # each starts with BOS
    prompts = [tok.encode(p).ids for p in PROMPTS]
    with open(os.path.join(work, "ids.json"), "w") as f:
        json.dump({"docs": ids, "prompts": prompts}, f)


def decode_step(work):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(work, "tokenizer.json"))
    with open(os.path.join(work, "to_decode.json")) as f:
        seqs = json.load(f)
    with open(os.path.join(work, "decoded.json"), "w") as f:
        json.dump([tok.decode(s, skip_special_tokens=False) for s in seqs], f)


def venv_python():
    for venv in (".venv", ".venv-oracle"):
        py = os.path.join(ROOT, venv, "bin", "python")
        if os.path.exists(py) and subprocess.run([py, "-c", "import tokenizers"],
                                                 capture_output=True).returncode == 0:
            return py
    sys.exit("train_tiny_model: no venv with `tokenizers`: run scripts/make_venv.sh "
             "(or scripts/make_oracle_venv.sh)")


def run_in_venv(py, *args):
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", RAYON_NUM_THREADS="1")
    subprocess.run([py, os.path.abspath(__file__), *args], check=True, env=env)


# ------------------------------------------------ model and training (Debian's torch)

def hub_config(vocab_size):
    """config.json in DeepSeek-V3's hub spelling (models/configs/deepseek-v3.json, scaled down)."""
    return {
        "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
        "torch_dtype": "bfloat16", "vocab_size": vocab_size, "hidden_size": 256,
        "intermediate_size": 512, "moe_intermediate_size": 64, "num_hidden_layers": 4,
        "num_nextn_predict_layers": 0, "num_attention_heads": 4, "num_key_value_heads": 4,
        "n_shared_experts": 1, "n_routed_experts": 16, "ep_size": 1, "routed_scaling_factor": 2.5,
        "kv_lora_rank": 64, "q_lora_rank": 128, "qk_rope_head_dim": 16, "v_head_dim": 32,
        "qk_nope_head_dim": 32, "topk_method": "noaux_tc", "n_group": 4, "topk_group": 2,
        "num_experts_per_tok": 4, "moe_layer_freq": 1, "first_k_dense_replace": 1,
        "norm_topk_prob": True, "scoring_func": "sigmoid", "hidden_act": "silu",
        "max_position_embeddings": 1024, "rms_norm_eps": 1e-06, "rope_theta": 10000,
        "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 256,
                         "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0},
        "tie_word_embeddings": False, "use_cache": True, "bos_token_id": 0, "eos_token_id": 1,
        "attention_bias": False, "attention_dropout": 0.0, "initializer_range": 0.02,
    }


def batches(stream, seq, batch, rng):
    import torch
    n = len(stream) - seq - 1
    while True:
        starts = [rng.randrange(n) for _ in range(batch)]
        chunk = torch.stack([stream[s:s + seq + 1] for s in starts])
        yield chunk[:, :-1], chunk[:, 1:]


def balance(load):
    """max / mean expert load (1.0 = perfectly balanced)."""
    load = load.float()
    return float(load.max() / load.mean())


def train(args, work, log):
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import hf_reference as R

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    with open(os.path.join(work, "ids.json")) as f:
        data = json.load(f)
    docs = data["docs"]
    order = list(range(len(docs)))
    random.Random(SEED).shuffle(order)
    n_val = len(docs) // 50
    cat = lambda idx: torch.tensor([t for i in idx for t in docs[i] + [1]], dtype=torch.long)
    val, trn = cat(order[:n_val]), cat(order[n_val:])
    log(f"corpus: {len(docs)} fortunes, {len(trn)} train tokens, {len(val)} held-out tokens")

    with open(os.path.join(work, "tokenizer.json")) as f:
        vocab_size = len(json.load(f)["model"]["vocab"])
    cfg_json = hub_config(vocab_size)
    cfg = R.ModelConfig(cfg_json)
    model = R.CausalLM(cfg, torch.float32)
    R.init_weights(model, SEED, std=0.02)
    n_params = sum(p.numel() for p in model.parameters())
    per_expert = 3 * cfg.hidden_size * cfg.expert_size
    active = n_params - len(model.moe_blocks()) * (cfg.num_experts - cfg.top_k) * per_expert
    log(f"model: {n_params} parameters ({active} active per token), vocab {vocab_size}")

    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": other, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    rng = random.Random(SEED)
    data_iter = batches(trn, args.seq, args.batch, rng)
    val_rng = random.Random(SEED + 1)
    val_batches = [next(batches(val, args.seq, args.batch, val_rng)) for _ in range(4)]
    start, seen = time.time(), 0
    loads = None
    for step in range(1, args.steps + 1):
        lr = args.lr * min(1.0, step / args.warmup)
        lr *= 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / args.steps)))
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = next(data_iter)
        model.train()
        loss = F.cross_entropy(model(x).reshape(-1, vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step_loads = [moe.load for moe in model.moe_blocks()]
        with torch.no_grad():  # auxiliary-loss-free balancing (DeepSeek-V3 section 2.1.2)
            for moe, load in zip(model.moe_blocks(), step_loads):
                load = load.float()
                moe.gate.e_score_correction_bias += args.gamma * torch.sign(load.mean() - load)
        loads = step_loads if loads is None else [a + b for a, b in zip(loads, step_loads)]
        seen += x.numel()
        if step % args.log_every == 0 or step == args.steps:
            elapsed = time.time() - start
            bal = " ".join(f"{balance(l):.2f}" for l in loads)
            msg = (f"step {step:5d}  loss {loss.item():.4f}  lr {lr:.2e}  "
                   f"{seen / elapsed:7.0f} tok/s  load max/mean per MoE layer {bal}")
            if step % (args.log_every * 10) == 0 or step == args.steps:
                msg += f"  held-out loss {evaluate(model, val_batches, vocab_size):.4f}"
            log(msg)
            loads = None
    log(f"trained {args.steps} steps, {seen} tokens in {time.time() - start:.0f} s")
    return model, cfg_json, data["prompts"]


def evaluate(model, val_batches, vocab_size):
    import torch
    import torch.nn.functional as F
    model.eval()
    with torch.no_grad():
        losses = [F.cross_entropy(model(x).reshape(-1, vocab_size), y.reshape(-1)).item()
                  for x, y in val_batches]
    return sum(losses) / len(losses)


def save(model, cfg_json, work, out):
    """bf16 weights (router weight and correction bias in f32), 2 shards, per-expert names."""
    import shutil
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import hf_reference as R
    tensors = {}
    for name, value in model.state_dict().items():
        value = value.detach().float().numpy()
        if name.endswith("mlp.gate.weight") or name.endswith("e_score_correction_bias"):
            tensors[name] = ("F32", value)
        else:
            tensors[name] = ("BF16", R.bf16_bits(value))
    if os.path.isdir(out):
        for f in os.listdir(out):
            if f.endswith(".safetensors") or f.endswith(".json"):
                os.remove(os.path.join(out, f))
    R.save_checkpoint(out, tensors, shards=2)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg_json, f, indent=2)
        f.write("\n")
    shutil.copy(os.path.join(work, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": BOS, "eos_token": EOS,
                   "pad_token": EOS, "add_bos_token": True, "add_eos_token": False,
                   "clean_up_tokenization_spaces": False, "model_max_length": 1024}, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 0, "eos_token_id": 1, "do_sample": False}, f, indent=2)
        f.write("\n")


def samples(out, prompts, py, work, log):
    """Greedy samples of the saved (bf16) model with the float64 reference; writes the golden."""
    import torch
    import hf_reference as R
    model = R.load_model(out, torch.float64)
    gens = [model.generate(p, 40, eos_token_id=1)[0] for p in prompts]
    with open(os.path.join(work, "to_decode.json"), "w") as f:
        json.dump([p + g for p, g in zip(prompts, gens)], f)
    run_in_venv(py, "--decode", work)
    with open(os.path.join(work, "decoded.json")) as f:
        texts = json.load(f)
    log("greedy samples (float64 reference on the saved bf16 weights, 40 new tokens):")
    for text in texts:
        log("  " + json.dumps(text.replace(BOS, ""), ensure_ascii=False))
    golden_prompt = prompts[0]
    ids64 = model.generate(golden_prompt, 24)[0]
    ids32 = R.load_model(out, torch.float32).generate(golden_prompt, 24)[0]
    golden = {"prompt_ids": golden_prompt, "max_new_tokens": 24, "greedy_f64": ids64,
              "greedy_f32": ids32}
    with open(os.path.join(os.path.dirname(out), os.path.basename(out) + ".golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    log(f"golden greedy ids of {golden_prompt}: {ids64} (f32 {'same' if ids32 == ids64 else ids32})")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(ROOT, "models", "tiny", "deepseek-v3-tiny"))
    p.add_argument("--work", default="/tmp/hexmoe-tiny-train")
    p.add_argument("--vocab", type=int, default=2048)
    p.add_argument("--steps", type=int, default=2600)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--gamma", type=float, default=1e-2)
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--tokenizer", metavar="WORK", help=argparse.SUPPRESS)
    p.add_argument("--decode", metavar="WORK", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.tokenizer:
        return tokenizer_step(args.tokenizer, args.vocab)
    if args.decode:
        return decode_step(args.decode)

    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    log(f"train_tiny_model: {' '.join(sys.argv[1:]) or '(defaults)'}; seed {SEED}, one thread")
    py = venv_python()
    docs = read_fortunes()
    with open(os.path.join(args.work, "corpus.json"), "w") as f:
        json.dump(docs, f)
    t0 = time.time()
    run_in_venv(py, "--tokenizer", args.work, "--vocab", str(args.vocab))
    log(f"tokenizer: byte-level BPE, vocab {args.vocab}, trained in {time.time() - t0:.0f} s")
    model, cfg_json, prompts = train(args, args.work, log)
    save(model, cfg_json, args.work, args.out)
    samples(args.out, prompts, py, args.work, log)
    with open(os.path.join(args.out, "training_log.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
