#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (lit, unit, e2e) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
build=${HEXMOE_BUILD_DIR:-build}
start=$(date +%s)
ctest --test-dir "$build" --output-on-failure -j "${HEXMOE_TEST_JOBS:-2}"
echo "test: done in $(( $(date +%s) - start )) s"
