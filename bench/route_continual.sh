#!/usr/bin/env bash
# Routing networks with co-training for continual learning (issue 33): on MNIST-Permutations and
# MNIST-Rotations (configs/route-mnist-*.yaml: 10 tasks in turn, 2,000 steps each, a batch of 32 of
# the current task plus 32 replayed from a buffer of 100 examples per finished task), per seed,
# four runs at the same budget and replay: the routing network with co-training, without it (the
# ablation), and the dense networks of the same parameters and of the same compute per input.
# Runs go one after another on one thread each, JOBS at a time (default 1: nothing else should
# run beside a timing, though here only accuracy is compared); reruns skip finished runs.
# bench/route_continual.py prints the paired tables and the forgetting matrices.
# Usage: bench/route_continual.sh [seeds...] (default 1 2 3); SETS adds overrides to every run.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
((${#seeds[@]})) || seeds=(1 2 3)
out=${OUT_DIR:-runs/bench-continual}
metaevo=${METAEVO:-build/bin/metaevo}
jobs=${JOBS:-1}
read -r -a sets <<<"${SETS:-}"
mkdir -p "$out"
declare -A variant=(
  [cotrain]="--set program.architecture=routed --set program.cotrain=true"
  [no_cotrain]="--set program.architecture=routed --set program.cotrain=false"
  [dense_parameters]="--set program.architecture=dense_parameters"
  [dense_compute]="--set program.architecture=dense_compute"
)
route() {
  local name=$1
  shift
  [[ -f $out/$name/result.json ]] && return 0
  "$metaevo" route --output "$out/$name" --resume --set threads=1 "${sets[@]}" "$@" >"$out/$name.log" 2>&1 ||
    { tail -n 5 "$out/$name.log"; return 1; }
}
running=0
for benchmark in permutations rotations; do
  for seed in "${seeds[@]}"; do
    for v in cotrain no_cotrain dense_parameters dense_compute; do
      if ((running == jobs)); then
        wait -n
        running=$((running - 1))
      fi
      # shellcheck disable=SC2086
      route "$benchmark-$v-$seed" --config "configs/route-mnist-$benchmark.yaml" --set seed="$seed" ${variant[$v]} &
      running=$((running + 1))
    done
  done
done
wait
/usr/bin/python3 bench/route_continual.py "$out" "${seeds[@]}"
