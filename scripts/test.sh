#!/usr/bin/env bash
# README command 2: install what is missing, build, start a throwaway PostgreSQL server for the
# store tests (stopped at the end), run the whole test suite (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-demo
pg=$(mktemp -d "${TMPDIR:-/tmp}/metaevo-postgres.XXXXXX")
trap 'scripts/throwaway_postgres.sh stop "$pg"' EXIT
eval "$(scripts/throwaway_postgres.sh start "$pg")"
status=0
ctest --test-dir build --output-on-failure -j "${METAEVO_TEST_JOBS:-2}" || status=$?
# A test skipped inside a suite's process (cmake/gtest_suites.cmake) passes in CTest's list: name
# each one here, with its reason (e.g. the data it needs).
awk '/: Skipped$/ {getline reason} /^\[  SKIPPED \] [^ ]+ \(/ {print "skipped: " $4 ": " reason}' \
  build/Testing/Temporary/LastTest.log | sort -u
exit "$status"
