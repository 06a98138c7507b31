#!/usr/bin/env bash
# Installs what is missing, builds, then compiles the shipped tiny DeepSeek-V3
# model (models/tiny/deepseek-v3-tiny: MLA, 16 routed experts, trained on
# fortunes) for the CPU and generates text from a prompt, printing prefill and
# decode tokens/s. No GPU needed.
#   PROMPT="A fool and his" TOKENS=48 scripts/demo.sh
# DEMO=layer runs the earlier demo instead: the example MoE layer on seeded
# tokens, checked against a float64 PyTorch reference.
#   DEMO=layer MODEL=mixtral TOKENS=300 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bin=${HEXMOE_BUILD_DIR:-build}/bin
demo=${HEXMOE_BUILD_DIR:-build}/demo
mkdir -p "$demo"

if [ "${DEMO:-model}" = layer ]; then
  model=${MODEL:-deepseek_v3}
  tokens=${TOKENS:-64}
  echo "== compile models/examples/${model}_layer.mlir"
  "$bin/hexmoe-compile" "models/examples/${model}_layer.mlir" --target=cpu -o "$demo/${model}_layer.hxm"
  echo "== make $tokens tokens of seeded input"
  inputs=$(/usr/bin/python3 scripts/example_io.py make --model "$model" --tokens "$tokens" --dir "$demo")
  echo "== run"
  # shellcheck disable=SC2086
  "$bin/hexmoe-run" "$demo/${model}_layer.hxm" $inputs --output=@"$demo/out.npy" --repeat=20
  echo "== check against the float64 PyTorch reference"
  /usr/bin/python3 scripts/example_io.py check --model "$model" --dir "$demo"
  exit 0
fi

prompt=${PROMPT:-The meaning of life is}
tokens=${TOKENS:-40}
echo "== compile models/tiny/deepseek-v3-tiny (the artifact refers to its safetensors)"
"$bin/hexmoe-compile" models/tiny/deepseek-v3-tiny --target=cpu --max-seq-len=512 -o "$demo/deepseek-v3-tiny.hxm"
echo "== generate: \"$prompt\""
"$bin/hexmoe-run" "$demo/deepseek-v3-tiny.hxm" --prompt="$prompt" --max-new-tokens="$tokens"
