#!/usr/bin/env bash
# clang-tidy with the checks of .clang-tidy over the translation units of a build (default
# build/) that are shipped: the library, the CLI and the Python module. Any finding fails. Exit 77 (skipped)
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
python3 - "$build/compile_commands.json" "$db/compile_commands.json" "$build" <<'PY'
import json, os, re, sys
# What is shipped: the library, the CLI and the Python module (the tests and benchmarks are left
# out to keep CI within its 30 minutes).
def shipped(path):  # unity files live in the build tree, the others in the source tree
    rel = os.path.relpath(path, sys.argv[3])
    rel = os.path.relpath(path) if rel.startswith("..") else rel
    return rel.startswith(("src/metaevo/", "apps/metaevo/", "python/"))
entries = [e for e in json.load(open(sys.argv[1])) if "cmake_pch" not in e["file"] and shipped(e["file"])]
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
