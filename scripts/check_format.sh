#!/usr/bin/env bash
# The C++ sources against .clang-format: lists every file clang-format would change and fails.
# A check, never a rewrite (run `clang-format -i FILE` to fix one). Exit 77 (skipped) without
# clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format not found (apt-get install clang-format)"; exit 77; }
mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.h' 'apps/*.cpp' 'apps/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 'python/*.cpp' 'python/*.h' 'examples/*.cpp')
if ! clang-format --dry-run --Werror "${files[@]}" 2> /tmp/check_format.$$; then
  grep -o '^[^:]*\.\(cpp\|h\)' /tmp/check_format.$$ | sort -u | sed 's/$/: not clang-formatted/'
  rm -f /tmp/check_format.$$
  exit 1
fi
rm -f /tmp/check_format.$$
echo "check_format: ${#files[@]} files clean"
