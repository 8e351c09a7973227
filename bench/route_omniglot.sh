#!/usr/bin/env bash
# Gumbel-Matrix routing against its baselines on multitask Omniglot (issue 32), reduced for 2 CPU
# cores: configs/route-omniglot.yaml (20 alphabets, 50/20/30 drawers, the reference's model and
# optimiser settings) with 28x28 images instead of 105x105; 4 routed layers (stride 2 at layers 0
# and 2) instead of 8, since 8 plain conv-GroupNorm-ReLU layers at 28x28 collapsed to
# input-independent features within 300 updates (logits' spread over inputs 2e-5, chance accuracy)
# in our network and in a PyTorch replica alike, at learning rates 1e-4 to 1e-2, while 4 layers
# learn; FILTERS filters per component instead of 48 (24 by default: a run of 1,000 steps then
# takes about 30 minutes on one core instead of 100); STEPS training steps instead of 8,000 (a
# step trains each of the 20 tasks once on 16 images); and the weights' Adam learning rate raised
# from 1e-4 to LR to make up for the shorter run (the router keeps 2e-3: raised 10x as well, with
# SETS="--set program.router_lr=0.02", it lost 1 to 2 points; bench/RESULTS.md). Per seed, three
# runs at the same budget: allocation learned, full_sharing and no_sharing (per-task networks
# with at least the shared network's parameters in all). Two runs go at once, one thread each;
# reruns resume. bench/route_omniglot.py prints the paired table (JSON lines, then markdown);
# $OUT/report.html compares the validation curves.
# Usage: bench/route_omniglot.sh [seeds...] (default 1 2 3); STEPS=1000 LR=0.001 FILTERS=24 by
# default; SETS adds overrides to every run (e.g. SETS="--set data.tasks=[...]" for a smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
((${#seeds[@]})) || seeds=(1 2 3)
out=${OUT_DIR:-runs/bench-route}
metaevo=${METAEVO:-build/bin/metaevo}  # a copy keeps a rebuild from changing a long run
steps=${STEPS:-1000}
lr=${LR:-0.001}
filters=${FILTERS:-24}
read -r -a sets <<<"${SETS:-}"
mkdir -p "$out"
route() {
  local name=$1
  shift
  "$metaevo" route --config configs/route-omniglot.yaml --output "$out/$name" --resume --set threads=1 \
    --set train.steps="$steps" --set train.eval_every=$((steps / 10)) --set program.lr="$lr" --set program.net.filters="$filters" --set program.net.layers=4 --set 'program.net.downsample=[0, 2]' "${sets[@]}" "$@" \
    >"$out/$name.log" 2>&1 || { tail -n 5 "$out/$name.log"; return 1; }
}
running=0
for seed in "${seeds[@]}"; do
  for allocation in learned full_sharing no_sharing; do
    if ((running == 2)); then
      wait -n
      running=1
    fi
    route "$allocation-$seed" --set seed="$seed" --set program.allocation="$allocation" &
    running=$((running + 1))
  done
done
wait
/usr/bin/python3 bench/route_omniglot.py "$out" "${seeds[@]}"
runs=()
for seed in "${seeds[@]}"; do runs+=("$out/learned-$seed" "$out/full_sharing-$seed" "$out/no_sharing-$seed"); done
"$metaevo" report --runs "${runs[@]}" --x step --y valid_accuracy --y train_loss --out "$out/report.html"
