#!/usr/bin/env bash
# Installs the Debian 12 packages hexmoe needs to build, test and run.
# Safe to run again: apt-get skips what is already installed.
# libopenblas0-pthread gives the PyTorch test oracle and benchmark peer an
# optimised BLAS instead of the reference one python3-torch pulls in alone.
# fortune-mod / fortunes: the English text scripts/train_tiny_model.py trains on.
# libpcre2-dev and libutf8proc-dev give models/tokenizer its Unicode regexes
# and NFC; python3-venv lets scripts/make_venv.sh make the tokenizer oracle's venv.
# hipcc (ROCm 5.2's, on clang-15) checks the hip-source target's HIP C++ offline
# in the tests; nothing in hexmoe links it.
set -euo pipefail

packages=(
  cmake ninja-build ccache pkg-config git
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libflatbuffers-dev flatbuffers-compiler nlohmann-json3-dev libsodium-dev
  libclang-rt-22-dev
  libpcre2-dev libutf8proc-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd
  hipcc
  python3 python3-numpy python3-torch libopenblas0-pthread python3-venv
  fortune-mod fortunes
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
