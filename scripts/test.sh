#!/usr/bin/env bash
# README command 2: install what is missing, build, run the whole test suite (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-demo
ctest --test-dir build --output-on-failure -j "${METAEVO_TEST_JOBS:-2}"
