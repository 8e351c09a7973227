#!/usr/bin/env bash
# Agents' throughput at equal cores (issue 30): the same set of agents (class munet on the 8
# Omniglot alphabets of configs/agents-10-tasks.yaml, CYCLES cycles of one child each, children
# trained as in that config) runs two ways on a fresh SQLite store grown from the benchmarks'
# pretrained root (bench/munet_root.sh, in OUT_DIR/root): 2 agents at a time with 1 thread each,
# and 1 agent at a time with 2 threads. Task cycles per hour from the wall time of the whole set
# (process starts and data loading included); repeated and interleaved, since this VM's speed
# drifts. Nothing else should run. One JSON line per run, then one per repetition with the ratio.
#   bench/munet_agents_throughput.sh [REPEATS] [-- --set flags for the root]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=2; extra=()
while (($#)); do [[ $1 == -- ]] && { shift; extra=("$@"); break; }; repeats=$1; shift; done
out=${OUT_DIR:-runs/bench-munet-agents}
metaevo=${METAEVO:-build/bin/metaevo}
cycles=${CYCLES:-3}
METAEVO=$metaevo bash bench/munet_root.sh "$out" "${extra[@]}"
work=$(mktemp -d /tmp/munet_agents_throughput.XXXX)
trap 'rm -rf "$work"' EXIT
tasks='[omniglot:Greek, omniglot:Latin, omniglot:Hebrew, omniglot:Japanese_(katakana), omniglot:Korean,
  omniglot:Bengali, omniglot:Futurama, omniglot:Sanskrit]'
# One run of the set: MODE PARALLEL THREADS; prints its JSON line.
run() {
  local dir="$work/$1-$RANDOM" start end
  start=$(date +%s.%N)
  "$metaevo" --threads "$3" agents --config configs/agents-10-tasks.yaml --set 'root.task=""' \
    --set root.from="$out/root/system.db" --set "tasks=$tasks" --set 'agents.classes=[munet]' \
    --set agents.parallel="$2" --set agent.cycles="$cycles" --set agent.generations=1 --output "$dir" > "$dir.log" 2>&1
  end=$(date +%s.%N)
  /usr/bin/python3 - "$dir/agents.json" "$1" "$2" "$3" "$start" "$end" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
mode, parallel, threads, start, end = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
cycles = sum(a["cycles"] for a in summary["agents"])
check = summary["check"]
print(json.dumps({"mode": mode, "agents_at_once": parallel, "threads": threads, "agents": len(summary["agents"]),
                  "task_cycles": cycles, "seconds": round(end - start, 2),
                  "task_cycles_per_hour": round(cycles * 3600 / (end - start), 1),
                  "failed_agents": len(summary["failed_agents"]),
                  "lost_or_duplicated": check["lost"] + check["duplicated"] + check["mismatched"]}))
PY
}
for r in $(seq "$repeats"); do
  two=$(run two_agents_one_thread 2 1)
  one=$(run one_agent_two_threads 1 2)
  printf '%s\n%s\n' "$two" "$one"
  /usr/bin/python3 -c 'import json, sys
two, one = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"repetition": int(sys.argv[3]), "ratio": round(two["task_cycles_per_hour"] / one["task_cycles_per_hour"], 3)}))' \
    "$two" "$one" "$r"
done
