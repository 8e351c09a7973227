#!/usr/bin/env bash
# The pretrained root the muNet benchmarks start from, made once in OUT/root (OUT/root/system.db;
# log in OUT/root.log): configs/evolve-10-tasks.yaml's root pretraining, changed by the given --set
# flags, plus a one-child MNIST iteration nothing uses. A rerun resumes, so a finished root is kept.
#   bench/munet_root.sh OUT [--set flags...]      (METAEVO overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
shift
mkdir -p "$out"
"${METAEVO:-build/bin/metaevo}" evolve --config configs/evolve-10-tasks.yaml --output "$out/root" --set 'tasks=[mnist]' \
  --set evolution.children=1 --set task_iterations=1 "$@" > "$out/root.log" 2>&1
