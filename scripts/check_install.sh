#!/usr/bin/env bash
# The installed package as a user meets it: installs a build (default build/) into a temporary
# prefix, then configures, builds and runs every examples/*/ as its own CMake project against that
# prefix alone (not the build tree), and imports the installed Python package. Any failure fails.
#   scripts/check_install.sh [BUILD_DIR]
set -euo pipefail
build=$(realpath "${1:-$(dirname "$0")/../build}")
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/metaevo-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
# Nothing of the build or source tree may leak into the installed package configuration.
if grep -rlE "$(realpath .)/(src|build)" "$prefix/lib/cmake/metaevo"; then
  echo "the installed CMake package names the source or build tree"; exit 1
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# The README's C++ example, as its own project too.
mkdir -p "$work/readme"
awk '/<!-- README example, built and run by scripts\/check_install.sh -->/ {found=1; next}
     found && /^```cpp/ {inside=1; next} inside && /^```/ {exit} inside {print}' README.md >"$work/readme/main.cpp"
[[ -s $work/readme/main.cpp ]] || { echo "README.md: no C++ example after its marker"; exit 1; }
sed 's/es_fitness/readme/g' examples/es_fitness/CMakeLists.txt >"$work/readme/CMakeLists.txt"
# Every example as a subdirectory of one project, each built by its own CMakeLists.txt, against
# the prefix alone (not the build tree). They share one precompiled <metaevo/metaevo.h>, as the
# programs of one user project would: parsing LibTorch's headers once instead of once per example
# is most of this check's time. No optimisation flags: an example's time is in the library.
examples=(examples/*/ "$work/readme/")
mkdir -p "$work/all"
{
  echo "cmake_minimum_required(VERSION 3.24)"
  echo "project(metaevo_examples LANGUAGES CXX)"
  for example in "${examples[@]}"; do
    echo "add_subdirectory(\"$(realpath "$example")\" $(basename "$example"))"
  done
  first=$(basename "${examples[0]}")
  echo "target_precompile_headers($first PRIVATE <metaevo/metaevo.h>)"
  for example in "${examples[@]:1}"; do
    echo "target_precompile_headers($(basename "$example") REUSE_FROM $first)"
  done
} >"$work/all/CMakeLists.txt"
cmake -S "$work/all" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=None -DCMAKE_PREFIX_PATH="$prefix" \
  >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
cmake --build "$work/build" >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
for example in "${examples[@]}"; do
  name=$(basename "$example")
  echo "== example $name"
  # Linked to the prefix's library (its RUNPATH); the build tree's copy is on no path.
  (cd "$work" && "$work/build/$name/$name" "$work/run-$name") >"$work/$name.out" 2>&1 || {
    tail -n 30 "$work/$name.out"; echo "example $name failed"; exit 1; }
  tail -n 1 "$work/$name.out"
done
python=$(grep -oP '^Python3_EXECUTABLE:FILEPATH=\K.*' "$build/CMakeCache.txt" || true)
if [[ -n $python ]]; then
  echo "== import metaevo from $prefix"
  (cd "$work" && PYTHONPATH=$(echo "$prefix"/lib/python3*/dist-packages) "$python" -c \
    "import metaevo; print(metaevo.__file__, metaevo.strategies())")
fi
