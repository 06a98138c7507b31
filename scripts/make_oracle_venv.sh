#!/usr/bin/env bash
# Makes .venv-oracle/ (gitignored): the opt-in oracle tier of the Python
# reference, tests/e2e/test_hf_oracle.py, which runs tiny models with
# Hugging Face transformers 5 itself and compares them with
# tests/e2e/hf_reference.py. Needs PyPI's torch 2.x wheel (several GB with
# its CUDA libraries: it is never part of setup.sh or CI). Also brings
# `tokenizers` for scripts/train_tiny_model.py when .venv/ is absent.
# Safe to run again: pip leaves a pinned package that is present alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-oracle"

# Pinned so that the oracle's figures change only when we mean them to.
requirements=(
  "torch==2.15.0"
  "transformers==5.23.0"
  "tokenizers==0.23.3"
  "safetensors==0.8.0"
  "numpy"
)

if [ ! -x "$venv/bin/python" ]; then
  echo "make_oracle_venv: creating $venv"
  /usr/bin/python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}"
"$venv/bin/python" - <<'PY'
import tokenizers, torch, transformers
print("make_oracle_venv: torch", torch.__version__, "transformers", transformers.__version__,
      "tokenizers", tokenizers.__version__)
PY
