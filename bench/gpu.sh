#!/usr/bin/env bash
# The GPU machine's one script (issue 28). That machine has Python with PyTorch 2.x (CUDA), its
# LibTorch headers and CMake files, nvcc, CMake and ninja, and reaches no package registry; what
# else the build needs travels with the working tree. Prepare it here first:
#   bash bench/gpu.sh --prepare      # the dependency kit (scripts/kit.sh) and the data (data/gpu)
# then run it there, carrying kit and data/gpu (MNIST gzipped and Omniglot, about 40 MB in all):
#   bash bench/gpu.sh                # writes to $OUT (the device tool's folder), else runs/gpu
# It builds metaevo against PyTorch's LibTorch and the kit (no MPI, PostgreSQL, Python module or
# Google Benchmark), runs the CUDA tests (the CUDA path against the CPU path, `*Cuda*`) and the
# ES benchmarks on the card against plain PyTorch on the same card: the bench MLP (784-128-10, on
# MNIST, which travels smaller than Fashion-MNIST) and the ES ProtoNet. build.log, tests.log, bench.jsonl and device.txt go to the output folder.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --prepare ]]; then
  scripts/kit.sh
  [[ -s data/mnist/train-images-idx3-ubyte ]] || { echo "gpu.sh: no data/mnist (scripts/setup.sh fetches it)" >&2; exit 2; }
  rm -rf data/gpu
  mkdir -p data/gpu/mnist
  for f in data/mnist/*-ubyte; do gzip -9c "$f" > "data/gpu/mnist/$(basename "$f").gz"; done
  cp -r ../shared/data/omniglot data/gpu/omniglot && chmod -R u+w data/gpu
  du -shc kit data/gpu
  exit 0
fi
# The tests and the CLI look for data sets here first.
export METAEVO_DATA_DIR=$PWD/data/gpu
out=${OUT:-runs/gpu}
mkdir -p "$out"
[[ -f kit/prefix/.packages ]] || { echo "gpu.sh: no kit/: run 'bash bench/gpu.sh --prepare' and carry kit/" >&2; exit 2; }
python=$(command -v python3)
"$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))' \
  | tee "$out/device.txt"
nvidia-smi >> "$out/device.txt" 2>&1 || true
torch_prefix=$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
jobs=$(nproc)
{
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETAEVO_KIT="$PWD/kit/prefix" \
    -DCMAKE_PREFIX_PATH="$torch_prefix" -DCMAKE_CUDA_ARCHITECTURES=native -DMETAEVO_POSTGRES=OFF -DMETAEVO_MPI=OFF \
    -DMETAEVO_PYTHON=OFF -DMETAEVO_BUILD_BENCH=OFF
  # Each LibTorch translation unit needs ~1.5 GB to compile; the machine has 128 GB.
  cmake --build build-gpu -j "$jobs"
} > "$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
echo "gpu.sh: built ($(grep -c 'Building CXX' "$out/build.log") objects)"
status=0
build-gpu/tests/metaevo_tests --gtest_filter='*Cuda*' > "$out/tests.log" 2>&1 || status=$?
tail -3 "$out/tests.log"
bench() { "$@" | tee -a "$out/bench.jsonl"; }
: > "$out/bench.jsonl"
for device in cuda cpu; do
  bench build-gpu/bin/metaevo --threads "$jobs" --log-level warn bench es --model mlp --hidden 128 \
    --dataset mnist --data-dir data/gpu/mnist --population 512 --batch 256 --generations 20 --device "$device"
  bench "$python" bench/python_es_baseline.py --population 512 --batch 256 --generations 20 --threads "$jobs" \
    --mode bmm --data-dir data/gpu/mnist --device "$device"
done
bench build-gpu/bin/metaevo --threads "$jobs" --log-level warn bench es --model protonet --population 128 \
  --generations 3 --data-dir data/gpu/omniglot --device cuda
bench "$python" bench/protonet_es_peer.py --population 128 --generations 3 --threads "$jobs" --device cuda
exit "$status"
