#!/usr/bin/env python3
"""Summary of bench/munet_multipath.sh. Per system (seed) and task: the winning single path's test
accuracy (from the system's agents.json), the multipath model's (from its agent's
publications.jsonl), the gain, the multipath model's main path test accuracy, activated and trained
parameters, num_paths and the attached tasks. Then per task across seeds: the mean gain and
whether it is positive in every seed, and the issue's bar: gain >= 0.5 points on at least 5 of the
10 tasks, positive in each seed. JSON lines, then markdown tables for bench/RESULTS.md.
Usage: munet_multipath.py OUT SYSTEM_DIR..."""
import json
import os
import sys


def last_record(path):
    records = [json.loads(line) for line in open(path) if line.strip()]
    return [r for r in records if "cycle" in r][-1]


def main():
    out, systems = sys.argv[1], sys.argv[2:]
    rows = []
    for system in systems:
        name = os.path.basename(system)
        winners = {t["task"]: t for t in json.load(open(f"{system}/agents.json"))["tasks"]}
        agents = json.load(open(f"{out}/{name}/agents.json"))
        print(json.dumps({"system": name, "check": agents["check"], "failed_agents": agents["failed_agents"]}))
        for task, winner in sorted(winners.items()):
            log = f"{out}/{name}/agents/multipath~{task}/publications.jsonl"
            r = last_record(log) if os.path.exists(log) else None
            if not r or r["path"] is None:
                rows.append({"system": name, "task": task, "single": winner["test_accuracy"], "multipath": None})
                continue
            m = r["multipath"]
            rows.append({"system": name, "task": task, "single": winner["test_accuracy"],
                         "multipath": r["test_accuracy"], "gain_pt": round(100 * (r["test_accuracy"] - winner["test_accuracy"]), 2),
                         "main_path_single": m["main_path_test_accuracy"], "num_paths": m["num_paths"],
                         "router_lr_mult": m["router_lr_mult"], "attached": m["tasks"][1:],
                         "activated_params": m["activated_params"], "trained_params": m["trained_params"],
                         "single_accounted_params": winner["accounted_params"]})
            print(json.dumps(rows[-1]))
    tasks = sorted({r["task"] for r in rows})
    names = [os.path.basename(s) for s in systems]
    summary = []
    for task in tasks:
        gains = [r.get("gain_pt") for r in rows if r["task"] == task]
        ok = all(g is not None for g in gains) and len(gains) == len(names)
        mean = sum(gains) / len(gains) if ok else None
        summary.append({"task": task, "gains_pt": gains, "mean_gain_pt": None if mean is None else round(mean, 2),
                        "positive_every_seed": ok and all(g > 0 for g in gains),
                        "meets_bar": ok and all(g > 0 for g in gains) and mean >= 0.5})
        print(json.dumps(summary[-1]))
    met = sum(s["meets_bar"] for s in summary)
    print(json.dumps({"tasks_meeting_bar": met, "bar": "gain >= 0.5 pt (mean) and > 0 in every seed, on >= 5 tasks",
                      "passed": met >= 5}))

    print("\n| task | " + " | ".join(f"{n}: single / multipath (gain)" for n in names) + " | mean gain |")
    print("|---|" + "---|" * (len(names) + 1))
    for s in summary:
        cells = []
        for n in names:
            r = next(r for r in rows if r["task"] == s["task"] and r["system"] == n)
            cells.append(f"{100 * r['single']:.2f} / –" if r["multipath"] is None else
                         f"{100 * r['single']:.2f} / {100 * r['multipath']:.2f} ({r['gain_pt']:+.2f})")
        mean = "–" if s["mean_gain_pt"] is None else f"{s['mean_gain_pt']:+.2f}"
        print(f"| {s['task']} | " + " | ".join(cells) + f" | {mean} |")
    print("\n| system | task | attached | num_paths | router_lr_mult | activated params | trained params |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r["multipath"] is not None:
            print(f"| {r['system']} | {r['task']} | {', '.join(r['attached'])} | {r['num_paths']} | "
                  f"{r['router_lr_mult']} | {r['activated_params']:,} | {r['trained_params']:,} |")


if __name__ == "__main__":
    main()
