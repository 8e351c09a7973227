#!/usr/bin/env bash
# The long run of issue 5: one system grown to 52 tasks (configs/evolve-52-tasks.yaml) from the
# root of the 10-task bench (bench/munet_10_tasks.sh runs first). Prints one markdown row per task
# as it was added: test accuracy, accounted and total parameters, the whole system's size after.
# A rerun resumes (and, when the run is complete, only prints the table).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT_DIR:-runs/evolve-52-tasks}
root=${ROOT_DB:-runs/bench-munet-10-tasks/evolved/system.db}
metaevo=${METAEVO:-build/bin/metaevo}
"$metaevo" evolve --config configs/evolve-52-tasks.yaml --output "$out" --set root.from="$root" >> "$out.log" 2>&1
python3 - "$out/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("| # | task | test acc. | accounted params | total params | system params after |")
print("|---|---|---|---|---|---|")
for i, it in enumerate(r["iterations"], 1):
    print(f"| {i} | {it['task']} | {100 * it['test_quality']:.2f}% | {it['accounted_params']:,.0f} | "
          f"{it['total_params']:,} | {it['system_params']:,} |")
n = len(r["tasks"])
print(json.dumps({"tasks": n, "avg_test_acc": round(sum(t["test_accuracy"] for t in r["tasks"]) / n, 4),
                  "avg_accounted_params": round(sum(t["accounted_params"] for t in r["tasks"]) / n),
                  "system_params": r["iterations"][-1]["system_params"]}))
PY
