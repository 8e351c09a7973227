#!/usr/bin/env bash
# Many agents against one (issue 30): per seed, the multi-agent system of
# configs/agents-10-tasks.yaml (3 classes x 10 tasks = 30 agents, 4 at a time, one thread each)
# beside the single-agent system of configs/evolve-10-tasks.yaml at the same total budget: both
# train CHILDREN children per task (agents: 3 classes x CYCLES cycles x the generations per cycle
# that make up CHILDREN; single: one task iteration of CHILDREN children, in OUT/single-sN), each
# child 3 x 50 batches of 128, from one pretrained root
# (made first in OUT/root, as bench/munet_growth.sh does, with the flags after --). Seeds listed in
# PG_SEEDS keep the agents' system in PostgreSQL (a throwaway server started here), the others in
# SQLite. `metaevo agents` checks every agent's log against the store; bench/munet_agents.py prints
# the paired table (JSON lines, then markdown).
# Usage: bench/munet_agents.sh [seeds...] (default 1 2 3) [-- --set flags for every run];
# CHILDREN=9, CYCLES=3, PG_SEEDS="2" by default; the agents' runs go to OUT/agents-cCYCLES-sN.
# Reruns resume (finished agents and iterations are kept), except PostgreSQL seeds, whose
# throwaway server ends with the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=(); extra=()
while (($#)); do [[ $1 == -- ]] && { shift; extra=("$@"); break; }; seeds+=("$1"); shift; done
((${#seeds[@]})) || seeds=(1 2 3)
out=${OUT_DIR:-runs/bench-munet-agents}
metaevo=${METAEVO:-build/bin/metaevo}  # another binary (a copy) keeps a rebuild from changing a long run
children=${CHILDREN:-9}
cycles=${CYCLES:-3}
pg_seeds=" ${PG_SEEDS:-2} "
((children % (3 * cycles) == 0)) || { echo "CHILDREN must be a multiple of 3 agent classes x CYCLES" >&2; exit 2; }
mkdir -p "$out"
METAEVO=$metaevo bash bench/munet_root.sh "$out" "${extra[@]}"
pg=""
stop_pg() { [[ -z $pg ]] || scripts/throwaway_postgres.sh stop "$pg"; }
trap stop_pg EXIT
for seed in "${seeds[@]}"; do
  common=(--set seed="$seed" --set 'root.task=""' --set root.from="$out/root/system.db" "${extra[@]}")
  storage=()
  if [[ $pg_seeds == *" $seed "* ]]; then
    if [[ -z $pg ]]; then
      pg=$(mktemp -d /tmp/metaevo-bench-pg.XXXX)
      eval "$(THROWAWAY_PG_FSYNC=on scripts/throwaway_postgres.sh start "$pg")"
      psql "$METAEVO_TEST_POSTGRES" -qX -c "CREATE DATABASE bench_agents_$seed" >/dev/null
    fi
    storage=(--storage "${METAEVO_TEST_POSTGRES%/*}/bench_agents_$seed")
  fi
  "$metaevo" --threads 1 evolve --config configs/evolve-10-tasks.yaml "${common[@]}" --set task_iterations=1 \
    --set evolution.children="$children" --output "$out/single-s$seed" > "$out/single-s$seed.log" 2>&1 &
  agents="agents-c$cycles-s$seed"
  "$metaevo" --threads 1 agents --config configs/agents-10-tasks.yaml "${common[@]}" --set agent.cycles="$cycles" \
    --set agent.generations=$((children / 3 / cycles)) "${storage[@]}" --output "$out/$agents" > "$out/$agents.log" 2>&1 &
  wait
done
/usr/bin/python3 bench/munet_agents.py "$out" --agents "agents-c$cycles" "${seeds[@]}"
