#!/usr/bin/env bash
# README command 2: install what is missing, build, start a throwaway PostgreSQL server for the
# store tests (stopped at the end), run the whole test suite (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-demo
pg=$(mktemp -d "${TMPDIR:-/tmp}/metaevo-postgres.XXXXXX")
trap 'scripts/throwaway_postgres.sh stop "$pg"' EXIT
eval "$(scripts/throwaway_postgres.sh start "$pg")"
ctest --test-dir build --output-on-failure -j "${METAEVO_TEST_JOBS:-2}"
