#!/usr/bin/env bash
# clang-tidy with the checks of .clang-tidy over every translation unit of a build (default
# build/): the library, the CLI, the tests and the benchmarks. Any finding fails. Exit 77 (skipped)
# without clang-tidy or a compile database.
#   scripts/tidy.sh [BUILD_DIR]
set -euo pipefail
build=$(realpath "${1:-$(dirname "$0")/../build}")
cd "$(dirname "$0")/.."
command -v run-clang-tidy >/dev/null || { echo "run-clang-tidy not found (apt-get install clang-tidy)"; exit 77; }
[[ -f $build/compile_commands.json ]] || { echo "$build/compile_commands.json not found: configure first"; exit 77; }
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
# GCC's precompiled headers mean nothing to clang: drop them (each unity file parses its headers once).
python3 - "$build/compile_commands.json" "$db/compile_commands.json" <<'PY'
import json, re, sys
entries = [e for e in json.load(open(sys.argv[1])) if "cmake_pch" not in e["file"]]
for e in entries:
    e["command"] = re.sub(r" -include \S+cmake_pch\.hxx| -Winvalid-pch", "", e["command"])
json.dump(entries, open(sys.argv[2], "w"))
PY
rc=0
run-clang-tidy -p "$db" -quiet -j "$(nproc)" > "$db/log" 2>&1 || rc=$?
grep -E "(error|warning): .*\[" "$db/log" | sort -u > "$db/findings" || true
if [[ -s $db/findings ]]; then
  cat "$db/findings"
  exit 1
elif ((rc)); then
  tail -n 20 "$db/log"
  exit 1
fi
echo "tidy: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$db/compile_commands.json") translation units clean"
