#!/usr/bin/env bash
# Fuzzes one target (or all) for longer than CI does, in the sanitizer build.
#
#   scripts/fuzz.sh [TARGET ...] [--seconds=N] [--jobs=N]
#
# TARGET: artifact, elf, npy, values, plan_json (default: all, one after the
# other). New corpus inputs collect in build-asan/tests/fuzz/corpus/TARGET;
# a crash is saved as build-asan/tests/fuzz/TARGET-crash-<sha1> — add it to
# tests/fuzz/corpus/TARGET/ with the fix, so the replay test keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
jobs=1
targets=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#--seconds=} ;;
    --jobs=*) jobs=${arg#--jobs=} ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(artifact elf npy values plan_json)
build=${HEXMOE_ASAN_BUILD_DIR:-build-asan}
bash scripts/setup.sh
HEXMOE_BUILD_DIR=$build bash scripts/build.sh -DHEXMOE_SANITIZE=ON
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
for t in "${targets[@]}"; do
  bin="$build/bin/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz.sh: no target '$t' ($bin)" >&2; exit 2; }
  mkdir -p "$build/tests/fuzz/corpus/$t"
  echo "fuzz.sh: $t for $seconds s"
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -jobs="$jobs" -workers="$jobs" \
    -print_final_stats=1 -artifact_prefix="$build/tests/fuzz/$t-" \
    "$build/tests/fuzz/corpus/$t" "tests/fuzz/corpus/$t"
done
