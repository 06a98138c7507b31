#!/usr/bin/env bash
# Installs what is missing, builds, then compiles the DeepSeek-V3-style example
# layer for the CPU, runs it on 64 seeded tokens and checks the output against
# a float64 PyTorch reference. No GPU needed.
#   MODEL=mixtral TOKENS=300 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
model=${MODEL:-deepseek_v3}
tokens=${TOKENS:-64}
bin=${HEXMOE_BUILD_DIR:-build}/bin
demo=${HEXMOE_BUILD_DIR:-build}/demo
mkdir -p "$demo"
echo "== compile models/examples/${model}_layer.mlir"
"$bin/hexmoe-compile" "models/examples/${model}_layer.mlir" --target=cpu -o "$demo/${model}_layer.hxm"
echo "== make $tokens tokens of seeded input"
inputs=$(/usr/bin/python3 scripts/example_io.py make --model "$model" --tokens "$tokens" --dir "$demo")
echo "== run"
# shellcheck disable=SC2086
"$bin/hexmoe-run" "$demo/${model}_layer.hxm" $inputs --output=@"$demo/out.npy" --repeat=20
echo "== check against the float64 PyTorch reference"
/usr/bin/python3 scripts/example_io.py check --model "$model" --dir "$demo"
