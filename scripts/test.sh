#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (lit, unit, fuzz
# corpus replay, e2e) with ctest.
#
#   scripts/test.sh              the Release build in build/
#   scripts/test.sh --sanitize   the sanitizer tier: everything built with
#                                ASan + UBSan in build-asan/, the same suites,
#                                and each fuzz target fuzzed for
#                                HEXMOE_FUZZ_SECONDS (default 30) seconds
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
if [ "$sanitize" = 1 ]; then
  export HEXMOE_BUILD_DIR=${HEXMOE_ASAN_BUILD_DIR:-build-asan}
  fuzz_seconds=${HEXMOE_FUZZ_SECONDS:-30}
  bash scripts/build.sh -DHEXMOE_SANITIZE=ON -DHEXMOE_FUZZ_SECONDS="$fuzz_seconds"
  # allow_user_poisoning=0: LLVM headers compiled into our instrumented code
  # poison BumpPtrAllocator slabs that the uninstrumented libMLIR then writes
  # (a false use-after-poison). Any report fails the process with exit code 86, which no tool uses for a
  # clean error, so tests that expect exit code 1 or 2 never mistake one.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1:check_initialization_order=1:strict_init_order=1:allow_user_poisoning=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:exitcode=86}
else
  bash scripts/build.sh
fi
build=${HEXMOE_BUILD_DIR:-build}
start=$(date +%s)
ctest --test-dir "$build" --output-on-failure -j "${HEXMOE_TEST_JOBS:-2}"
echo "test: done in $(( $(date +%s) - start )) s ($build)"
if [ "$sanitize" = 1 ]; then
  # What each fuzz target did (libFuzzer's final stats, from ctest's log).
  log="$build/Testing/Temporary/LastTest.log"
  if [ -f "$log" ]; then
    /usr/bin/python3 - "$log" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
for m in re.finditer(r'Test: fuzz\.(\w+).*?stat::number_of_executed_units:\s+(\d+).*?stat::new_units_added:\s+(\d+)', text, re.S):
    print(f"fuzz: {m.group(1)}: {int(m.group(2)):,} executions, {m.group(3)} new corpus units")
PY
  fi
fi
