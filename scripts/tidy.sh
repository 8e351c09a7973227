#!/usr/bin/env bash
# clang-tidy with the checks of .clang-tidy over everything a build (default build/) compiles: the
# library, the CLI, the Python module, the tests and the benchmarks. Any finding fails. Exit 77
# (skipped) without clang-tidy or a compile database.
#   scripts/tidy.sh [BUILD_DIR]
set -euo pipefail
build=$(realpath "${1:-$(dirname "$0")/../build}")
cd "$(dirname "$0")/.."
command -v run-clang-tidy >/dev/null || { echo "run-clang-tidy not found (apt-get install clang-tidy)"; exit 77; }
[[ -f $build/compile_commands.json ]] || { echo "$build/compile_commands.json not found: configure first"; exit 77; }
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
# One translation unit per part (library, CLI, Python module, tests, benchmarks), #including the
# build's unity files: every check walks the whole AST, LibTorch's headers included, so the cost of
# a unit is mostly LibTorch's and is paid once per part instead of once per unity file. GCC's
# precompiled headers mean nothing to clang: they are dropped.
python3 - "$build/compile_commands.json" "$db" "$build" <<'PY'
import json, os, re, shlex, sys
entries, db, build = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
# Every part the build compiles.
parts = {"library": "src/metaevo/", "cli": "apps/metaevo/", "python": "python/", "tests": "tests/", "bench": "bench/"}
def part_of(path):  # unity files live in the build tree, the others in the source tree
    rel = os.path.relpath(path, build)
    rel = os.path.relpath(path) if rel.startswith("..") else rel
    return next((name for name, prefix in parts.items() if rel.startswith(prefix)), None)
out = []
for name in parts:
    members = [e for e in entries if "cmake_pch" not in e["file"] and part_of(e["file"]) == name]
    if not members:
        continue
    flags = []  # the union of the members' flags, in first-seen order (areas differ in defines and includes)
    for e in members:
        args = shlex.split(re.sub(r" -include \S+cmake_pch\.hxx| -Winvalid-pch", "", e["command"]))
        compiler, i = args[0], 1
        while i < len(args):
            a = args[i]
            if a in ("-o", "-c"):
                i += 2
                continue
            flag = [a, args[i + 1]] if a in ("-isystem", "-include", "-MF", "-MT") else [a]
            if flag[0] not in ("-MD", "-MF", "-MT") and flag not in [flags[j:j + len(flag)] for j in range(len(flags))]:
                flags += flag
            i += len(flag)
    unit = os.path.join(db, name + ".cpp")
    with open(unit, "w") as f:
        f.writelines('#include "%s"\n' % os.path.join(e["directory"], e["file"]) for e in members)
    out.append({"directory": members[0]["directory"], "file": unit,
                "command": " ".join(shlex.quote(a) for a in [compiler] + flags + ["-c", unit])})
json.dump(out, open(os.path.join(db, "compile_commands.json"), "w"))
PY
rc=0
# The units live outside the source tree, where no .clang-tidy would be found: pass it.
run-clang-tidy -p "$db" -quiet -config "$(cat .clang-tidy)" -j "$(nproc)" > "$db/log" 2>&1 || rc=$?
grep -E "(error|warning): .*\[" "$db/log" | sort -u > "$db/findings" || true
if [[ -s $db/findings ]]; then
  cat "$db/findings"
  exit 1
elif ((rc)); then
  tail -n 20 "$db/log"
  exit 1
fi
echo "tidy: $(python3 -c 'import json,sys; print(", ".join(e["file"].rsplit("/", 1)[-1] for e in json.load(open(sys.argv[1]))))' "$db/compile_commands.json") clean"
