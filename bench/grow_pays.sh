#!/usr/bin/env bash
# Does growth pay? (issue 29) The final architecture of configs/grow-fashion-mnist.yaml (h 64, 4
# layers) trained from scratch for STEPS steps, whose training FLOPs are the budget B and whose
# final test accuracy is A, against the config's growth schedule (h 32, 2 layers -> 2x width at step
# 1000 -> 2x depth at step 2000) given the same budget B (train.flops: it takes more steps, being
# smaller at first), paired by seed. Both record test accuracy at every validation;
# bench/grow_pays.py reads the FLOPs at which the grown model first reaches A, against B/1.3, and how
# much the from-scratch validation accuracy still rose over its last quarter (the plateau);
# $OUT/report.html draws every curve against FLOPs. The two runs of a seed go side by side on one
# thread each. Reruns resume.
# Usage: bench/grow_pays.sh [seeds...] (default 1 2 3); STEPS=8000 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
((${#seeds[@]})) || seeds=(1 2 3)
out=${OUT_DIR:-runs/bench-grow-pays}
metaevo=${METAEVO:-build/bin/metaevo}  # a copy keeps a rebuild from changing a long run
steps=${STEPS:-8000}
final=(--set model.hidden=64 --set model.key_dim=32 --set model.value_dim=32 --set model.mlp_dim=128
  --set model.layers=4 --set 'schedule=[]')
common=(--set train.test_curve=true --set threads=1 --resume)
mkdir -p "$out"
# B: the final architecture's FLOPs per step (one step of it, measured by metaevo grow) x STEPS.
per_step=$("$metaevo" grow --config configs/grow-fashion-mnist.yaml --output "$out/one-step" "${final[@]}" \
  --set train.steps=1 --set train.eval_every=1 2>"$out/one-step.log" | tail -n 1 |
  /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["train_flops"])')
budget=$(/usr/bin/python3 -c "print(repr($per_step * $steps))")
grow() {
  local name=$1
  shift
  "$metaevo" grow --config configs/grow-fashion-mnist.yaml --output "$out/$name" "${common[@]}" "$@" \
    >"$out/$name.log" 2>&1 || { tail -n 5 "$out/$name.log"; return 1; }
}
for seed in "${seeds[@]}"; do
  grow "scratch-$seed" --set seed="$seed" "${final[@]}" --set train.steps="$steps" &
  scratch=$!
  grow "grown-$seed" --set seed="$seed" --set train.steps=$((2 * steps)) --set train.flops="$budget" &
  wait "$scratch" $!
done
python3 bench/grow_pays.py "$out" "${seeds[@]}"
runs=()
for seed in "${seeds[@]}"; do runs+=("$out/scratch-$seed" "$out/grown-$seed"); done
"$metaevo" report --runs "${runs[@]}" --x train_flops --y test_accuracy --y valid_accuracy --y parameters \
  --out "$out/report.html"
