#!/usr/bin/env bash
# Growth mutations in muNet (issue 29): the 10-task evolution of configs/evolve-10-tasks.yaml with
# and without mutation.grow (wider MLPs, more heads, an identity block on top), paired by seed.
# Both runs of a seed start from one pretrained root (made first, in OUT/root: the config's root
# pretraining, shortened by the flags after --, plus a one-child MNIST iteration nothing uses) and run
# side by side on one thread each. bench/munet_growth.py prints a JSON line per run and per seed.
# Usage: bench/munet_growth.sh [seeds...] (default 1 2) [-- --set flags for every run]. Reruns resume.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=(); extra=()
while (($#)); do [[ $1 == -- ]] && { shift; extra=("$@"); break; }; seeds+=("$1"); shift; done
((${#seeds[@]})) || seeds=(1 2)
out=${OUT_DIR:-runs/bench-munet-growth}
metaevo=${METAEVO:-build/bin/metaevo}  # another binary (a copy) keeps a rebuild from changing a long run
config=configs/evolve-10-tasks.yaml
grow=${GROW:-'mutation.grow={mlp_dim: [1024, 1536], heads: [4, 6], layers: [4]}'}
mkdir -p "$out"
METAEVO=$metaevo bash bench/munet_root.sh "$out" "${extra[@]}"
for seed in "${seeds[@]}"; do
  common=(--config "$config" --set seed="$seed" --set 'root.task=""' --set root.from="$out/root/system.db" "${extra[@]}")
  "$metaevo" --threads 1 evolve "${common[@]}" --output "$out/plain-s$seed" > "$out/plain-s$seed.log" 2>&1 &
  "$metaevo" --threads 1 evolve "${common[@]}" --set "$grow" --output "$out/grown-s$seed" > "$out/grown-s$seed.log" 2>&1 &
  wait
done
/usr/bin/python3 bench/munet_growth.py "$out" "${seeds[@]}"
