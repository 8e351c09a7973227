#!/usr/bin/env python3
"""The 10-task comparison table of bench/munet_10_tasks.sh: one JSON line per method (average test
accuracy, average accounted and total parameters per task, system size, seconds) and the per-task
markdown table in OUT/table.md. Usage: munet_table.py OUT method=DIR [method=DIR ...] (each DIR
holds a metaevo evolve results.json, and DIR.seconds the run's wall time)."""
import json, os, sys
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
os.makedirs(out, exist_ok=True)
with open(out + "/table.md", "w") as f:
    f.write("| task | " + " | ".join(f"{m} acc | {m} accounted" for m in table) + " |\n")
    f.write("|---|" + "---|---|" * len(table) + "\n")
    for t in tasks:
        f.write(f"| {t} | " + " | ".join(f"{100 * table[m][t]['test_accuracy']:.2f}% | {table[m][t]['accounted_params']:,.0f}"
                                         for m in table) + " |\n")
