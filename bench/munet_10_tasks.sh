#!/usr/bin/env bash
# The evolved muNet system on 10 tasks against its baselines at the same total budget (issue 5):
# configs/evolve-10-tasks.yaml (pretrains the root, then evolves), then each baseline of
# configs/evolve-10-tasks-baseline.yaml from the same root. Prints one JSON line per method (average
# test accuracy, average accounted and total parameters per task, system size, seconds) and writes
# the per-task table to $OUT_DIR/table.md. Usage: bench/munet_10_tasks.sh [baseline kinds...]
# (default: finetune adapters; add freeze_bottom to freeze the bottom encoder block). Reruns resume.
set -euo pipefail
cd "$(dirname "$0")/.."
kinds=("$@")
((${#kinds[@]})) || kinds=(finetune adapters)
out=${OUT_DIR:-runs/bench-munet-10-tasks}
metaevo=${METAEVO:-build/bin/metaevo}  # another binary (a copy) keeps a rebuild from changing a long run
mkdir -p "$out"
runs=("evolved=$out/evolved")
start=$(date +%s)
"$metaevo" evolve --config configs/evolve-10-tasks.yaml --output "$out/evolved" > "$out/evolved.log" 2>&1
echo "{\"method\": \"evolved\", \"seconds\": $(($(date +%s) - start))}" > "$out/evolved.seconds"
for kind in "${kinds[@]}"; do
  start=$(date +%s)
  "$metaevo" evolve --config configs/evolve-10-tasks-baseline.yaml --output "$out/$kind" \
    --set baseline.kind="$kind" --set root.from="$out/evolved/system.db" > "$out/$kind.log" 2>&1
  echo "{\"method\": \"$kind\", \"seconds\": $(($(date +%s) - start))}" > "$out/$kind.seconds"
  runs+=("$kind=$out/$kind")
done
python3 - "$out" "${runs[@]}" <<'PY'
import json, sys
out, runs = sys.argv[1], [r.split("=", 1) for r in sys.argv[2:]]
table, tasks = {}, None
for method, d in runs:
    r = json.load(open(d + "/results.json"))
    rows = {t["task"]: t for t in r["tasks"]}
    tasks = tasks or list(rows)
    table[method] = rows
    n = len(rows)
    print(json.dumps({"method": method, "tasks": n,
                      "avg_test_acc": round(sum(t["test_accuracy"] for t in rows.values()) / n, 4),
                      "avg_accounted_params": round(sum(t["accounted_params"] for t in rows.values()) / n),
                      "avg_total_params": round(sum(t["total_params"] for t in rows.values()) / n),
                      "system_params": r["iterations"][-1]["system_params"],
                      "seconds": json.load(open(d + ".seconds"))["seconds"]}))
with open(out + "/table.md", "w") as f:
    f.write("| task | " + " | ".join(f"{m} acc | {m} accounted" for m in table) + " |\n")
    f.write("|---|" + "---|---|" * len(table) + "\n")
    for t in tasks:
        f.write(f"| {t} | " + " | ".join(f"{100 * table[m][t]['test_accuracy']:.2f}% | {table[m][t]['accounted_params']:,.0f}"
                                         for m in table) + " |\n")
PY
