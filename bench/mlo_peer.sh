#!/usr/bin/env bash
# `metaevo mlo` against the same Meta-Weight-Net program written by hand in PyTorch
# (bench/mlo_reweight_peer.py), side by side: configs/mlo-reweight-fashion.yaml for ITERS
# iterations (default its 10,000) on THREADS threads (default 1), alternating the two REPEATS
# times (default 2) since this VM's speed drifts. One JSON line per run: upper steps per second of
# training (validation left out), peak resident memory of the process, final test accuracy.
#   bash bench/mlo_peer.sh [REPEATS]      (METAEVO overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-2}
iters=${ITERS:-10000}
threads=${THREADS:-1}
metaevo=${METAEVO:-build/bin/metaevo}
out=$(mktemp -d /tmp/mlo_peer.XXXX)
trap 'rm -rf "$out"' EXIT
for i in $(seq "$repeats"); do
  "$metaevo" --threads "$threads" --log-level warn mlo --config configs/mlo-reweight-fashion.yaml --output "$out/$i" \
    --set engine.train_iters="$iters" --set engine.valid_step=0 --set engine.checkpoint_every=0 >/dev/null
  /usr/bin/python3 bench/mlo_result.py "$out/$i" peer=metaevo threads="$threads"
  /usr/bin/python3 bench/mlo_reweight_peer.py --iters "$iters" --threads "$threads" --seed "$i"
done
