#!/usr/bin/env bash
# Mixed precision and scale in mlo (issue 34), on Meta-Weight-Net reweighting of Fashion-MNIST
# (configs/mlo-reweight-fashion.yaml, darts hypergradient), one thread, one run at a time:
#  - "activations": a 784-2048-10 classifier on full batches of the 10,000 noisy images (every
#    step's activations are 10,000 x 2,048), ITERS_A iterations (default 60);
#  - "parameters": a 784-2048-2048-2048-10 classifier (10,020,874 parameters) on batches of 100,
#    ITERS_B iterations (default 300);
# each in fp32 and bf16 (both problems), then the parameters program in fp32 with each
# hypergradient method for METHOD_ITERS iterations (default 20). One JSON line per run: upper steps
# per second of training, peak resident memory (in all, and above what data and problems hold),
# final test accuracy.
#   bash bench/mlo_precision.sh          (METAEVO overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
metaevo=${METAEVO:-build/bin/metaevo}
out=$(mktemp -d /tmp/mlo_precision.XXXX)
trap 'rm -rf "$out"' EXIT
declare -A program=(
  [activations]="--set program.batch_size=10000 --set program.meta_batch_size=1000 --set program.hidden=2048 --set engine.train_iters=${ITERS_A:-60}"
  [parameters]="--set program.hidden=2048 --set program.hidden_layers=3 --set engine.train_iters=${ITERS_B:-300}"
)
run() {
  local dir="$out/$RANDOM"
  "$metaevo" --threads 1 --log-level warn mlo --config configs/mlo-reweight-fashion.yaml --output "$dir" \
    --set engine.valid_step=0 --set engine.checkpoint_every=0 "$@" >/dev/null
  echo "$dir"
}
for p in activations parameters; do
  for precision in fp32 bf16; do
    # shellcheck disable=SC2086
    dir=$(run ${program[$p]} --set problems.classifier.precision="$precision" --set problems.reweight.precision="$precision")
    /usr/bin/python3 bench/mlo_result.py "$dir" program="$p" precision="$precision"
  done
done
for method in darts itd "{name: cg, iterations: 3}" "{name: neumann, iterations: 3}" "{name: es, pairs: 4}"; do
  # shellcheck disable=SC2086
  dir=$(run ${program[parameters]} --set engine.train_iters="${METHOD_ITERS:-20}" \
    --set problems.classifier.hypergradient="$method")
  /usr/bin/python3 bench/mlo_result.py "$dir" program=parameters method="${method}"
done
