#!/usr/bin/env bash
# Data-parallel mlo on one host (issue 34): Meta-Weight-Net reweighting on Fashion-MNIST (darts
# hypergradient; batches of BATCH noisy and BATCH clean images, a 784-HIDDEN-10 classifier), upper
# steps per second of training (validation left out) for 1 process x 1 thread, 2 MPI ranks x 1
# thread and 1 process x 2 threads, repeated and interleaved since this VM's speed drifts. Each
# repetition first runs two independent 1-thread processes at once ("independent"): their summed
# speed over one alone is the most this VM gives two processes, whatever MPI does.
#   bash bench/mlo_scaling.sh [REPEATS]      (ITERS, BATCH, HIDDEN, METAEVO override the defaults)
# Prints one JSON line per run.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
metaevo=${METAEVO:-build/bin/metaevo}
out=$(mktemp -d /tmp/mlo_scaling.XXXX)
trap 'rm -rf "$out"' EXIT
# Root in containers; shared memory without the single-copy mechanism containers often forbid.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
args=(mlo --config configs/mlo-reweight-fashion.yaml --log-level warn
  --set "engine.train_iters=${ITERS:-100}" --set engine.valid_step=0 --set engine.checkpoint_every=0
  --set "program.batch_size=${BATCH:-1000}" --set "program.meta_batch_size=${BATCH:-1000}"
  --set "program.hidden=${HIDDEN:-1024}")
# One run, tagged with its mode.
run() {
  local mode=$1 dir="$out/$1-$RANDOM"
  shift
  "$@" "${args[@]}" --output "$dir" >/dev/null
  /usr/bin/python3 bench/mlo_result.py "$dir" mode="$mode"
}
for _ in $(seq "$repeats"); do
  run one_thread "$metaevo" --threads 1
  run independent_1 "$metaevo" --threads 1 &
  run independent_2 "$metaevo" --threads 1 &
  wait
  run two_ranks mpirun -np 2 --oversubscribe "$metaevo" --threads 1
  run two_threads "$metaevo" --threads 2
done
