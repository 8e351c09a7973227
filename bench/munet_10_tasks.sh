#!/usr/bin/env bash
# The evolved muNet system on 10 tasks against its baselines at the same total budget (issue 5):
# configs/evolve-10-tasks.yaml (pretrains the root, then evolves), then each baseline of
# configs/evolve-10-tasks-baseline.yaml from the same root. Prints one JSON line per method (average
# test accuracy, average accounted and total parameters per task, system size, seconds) and writes
# the per-task table to $OUT_DIR/table.md. Usage: bench/munet_10_tasks.sh [baseline kinds...]
# (default: finetune adapters; add freeze_bottom to freeze the bottom encoder block) [-- --set flags
# for the evolved run, e.g. a longer root pretraining]. Reruns resume.
set -euo pipefail
cd "$(dirname "$0")/.."
kinds=(); extra=()
while (($#)); do [[ $1 == -- ]] && { shift; extra=("$@"); break; }; kinds+=("$1"); shift; done
((${#kinds[@]})) || kinds=(finetune adapters)
out=${OUT_DIR:-runs/bench-munet-10-tasks}
metaevo=${METAEVO:-build/bin/metaevo}  # another binary (a copy) keeps a rebuild from changing a long run
mkdir -p "$out"
runs=("evolved=$out/evolved")
start=$(date +%s)
"$metaevo" evolve --config configs/evolve-10-tasks.yaml --output "$out/evolved" "${extra[@]}" > "$out/evolved.log" 2>&1
echo "{\"method\": \"evolved\", \"seconds\": $(($(date +%s) - start))}" > "$out/evolved.seconds"
for kind in "${kinds[@]}"; do
  start=$(date +%s)
  "$metaevo" evolve --config configs/evolve-10-tasks-baseline.yaml --output "$out/$kind" \
    --set baseline.kind="$kind" --set root.from="$out/evolved/system.db" > "$out/$kind.log" 2>&1
  echo "{\"method\": \"$kind\", \"seconds\": $(($(date +%s) - start))}" > "$out/$kind.seconds"
  runs+=("$kind=$out/$kind")
done
python3 bench/munet_table.py "$out" "${runs[@]}"
