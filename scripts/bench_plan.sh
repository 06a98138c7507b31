#!/usr/bin/env bash
# The planner benchmark of issue 5: predicted step-time ratios of the
# capacity planner to EPLB and to the lower bound on the issue's pools, and
# planning / device-loss re-planning times for a DeepSeek-V3-sized model.
#
#   scripts/bench_plan.sh [--quick] [--build-dir DIR] [--threads N]
#
# Builds hexmoe-plan if needed (CMake + Ninja, compiler off), then runs
# `hexmoe-plan --bench`. Exit status 0 when every check passes. Wait for an
# idle machine: the timing table prints the share other processes took.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build-bench-plan"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --quick) args+=(--quick); shift ;;
    --threads) args+=(--threads "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench_plan.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

plan="${build}/bin/hexmoe-plan"
if [ ! -x "${plan}" ] || [ -n "$(find "${root}/runtime/scheduler" "${root}/tools/hexmoe-plan" -newer "${plan}" -name '*.[ch]*' 2>/dev/null | head -1)" ]; then
  if [ ! -f "${build}/build.ninja" ]; then
    cmake -G Ninja -B "${build}" -S "${root}" -DCMAKE_BUILD_TYPE=Release \
          -DHEXMOE_ENABLE_COMPILER=OFF -DHEXMOE_ENABLE_TESTS=OFF >/dev/null
  fi
  nice -n 10 ninja -C "${build}" hexmoe-plan >/dev/null
fi

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec "${plan}" --bench --data-dir "${root}" "${args[@]+"${args[@]}"}"
