#!/usr/bin/env bash
# The ES ProtoNet's sweeps at equal evaluations (issue 27): population size (64, 128, 256 at
# channels 64) and model size (channels 32, 64, 96 at population 128), each run EVALS member
# evaluations (12,800) of configs/protonet-es-5w5s.yaml on 2 MPI ranks of 1 thread (update: sliced),
# then tested from the same model on 5-way and 20-way, 1- and 5-shot (TEST_EPISODES episodes each,
# 200). One run at a time; a rerun skips finished runs (result.json) and resumes the others.
# bench/protonet_es_sweeps.py prints the tables. SETTINGS picks settings (pP-cC, space-separated).
#   nohup bash bench/protonet_es_sweeps.sh > runs/bench-protonet-es-sweeps.out 2>&1 &
# The issue's full budget, one setting, resumable across sessions (kill it any time, rerun):
#   OUT_DIR=runs/protonet-es-full EVALS=500000 SETTINGS=p128-c64 TEST_EPISODES=1000 \
#     nohup bash bench/protonet_es_sweeps.sh > runs/protonet-es-full.out 2>&1 &
# A recipe arm: SETS adds overrides of the config (space-separated key=value) to every setting, e.g.
# the 5-way training episodes and constant learning rate of the sweeps in bench/RESULTS.md:
#   SETS='strategy.optimizer.lr_decay=1 problem.ways=5 problem.queries=15' ...
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT_DIR:-runs/bench-protonet-es-sweeps}
evals=${EVALS:-12800}
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
metaevo=${METAEVO:-build/bin/metaevo}
read -r -a sets <<<"${SETS:-}"
overrides=()
for set in "${sets[@]}"; do overrides+=(--set "$set"); done
read -r -a settings <<<"${SETTINGS:-p64-c64 p128-c64 p256-c64 p128-c32 p128-c96}"
for setting in "${settings[@]}"; do
  population=${setting%-*} channels=${setting#*-}
  dir="$out/$setting"
  [[ -s $dir/result.json ]] && continue
  resume=()
  [[ -s $dir/checkpoint.pt ]] && resume=(--resume)
  echo "$(date -u +%FT%TZ) $setting"
  mpirun -np 2 --oversubscribe "$metaevo" --threads 1 --log-level warn meta --config configs/protonet-es-5w5s.yaml \
    --set run.time_budget_s=0 --set run.max_evals="$evals" --set run.update=sliced \
    --set strategy.population="${population#p}" --set problem.channels="${channels#c}" \
    --set test.episodes="${TEST_EPISODES:-200}" "${overrides[@]}" --output "$dir" "${resume[@]}" > /dev/null
done
/usr/bin/python3 bench/protonet_es_sweeps.py "$out"
