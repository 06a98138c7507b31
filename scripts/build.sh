#!/usr/bin/env bash
# Configures and builds hexmoe (Release, clang-22 + lld, Ninja, ccache) into
# ${HEXMOE_BUILD_DIR:-build}. Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${HEXMOE_BUILD_DIR:-build}
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 "$@"
fi
jobs=${HEXMOE_JOBS:-$(nproc)}
start=$(date +%s)
ninja -C "$build" -j "$jobs"
echo "build: done in $(( $(date +%s) - start )) s ($build/bin: $(ls "$build/bin" | tr '\n' ' '))"
