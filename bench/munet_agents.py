#!/usr/bin/env python3
"""Summary of bench/munet_agents.sh. Per seed: the multi-agent system's and the single-agent
system's average test accuracy over the 10 tasks (paired), the publication check (lost, duplicated,
mismatched, unlogged), tasks with a winner, and how many winning paths share (frozen) or clone (copy,
then train) a trained component published by another agent, or started from another agent's
published path; then a markdown table per task (winning class, both accuracies) for
bench/RESULTS.md. Usage: munet_agents.py OUT [--agents NAME] SEED... (the agents' runs are
OUT/NAME-sSEED, agents-c3 by default; the single-agent runs OUT/single-sSEED)."""
import json
import sys


def main():
    out, seeds, name = sys.argv[1], sys.argv[2:], "agents-c3"
    if seeds[:1] == ["--agents"]:
        name, seeds = seeds[1], seeds[2:]
    per_task = {}
    for seed in seeds:
        agents = json.load(open(f"{out}/{name}-s{seed}/agents.json"))
        single = {t["task"]: t["test_accuracy"] for t in json.load(open(f"{out}/single-s{seed}/results.json"))["tasks"]}
        rows = agents["tasks"]
        multi = {r["task"]: r["test_accuracy"] for r in rows}
        both = sorted(set(single) & set(multi))
        mean = lambda d: sum(d[t] for t in both) / len(both)
        check = agents["check"]
        print(json.dumps({
            "seed": int(seed), "tasks": len(both), "agents_avg_test_acc": round(mean(multi), 4),
            "single_avg_test_acc": round(mean(single), 4), "agents_minus_single": round(mean(multi) - mean(single), 4),
            "published": check["published"], "lost": check["lost"], "duplicated": check["duplicated"],
            "mismatched": check["mismatched"], "unlogged": check["unlogged"], "failed_agents": agents["failed_agents"],
            "tasks_with_winner": len(rows), "winners_sharing_another_agents_component": sum(bool(r["uses"]) for r in rows),
            "winners_cloning_another_agents_component": sum(bool(r["clones"]) for r in rows),
            "winners_using_another_agents_trained_component": sum(bool(r["uses"]) or bool(r["clones"]) for r in rows),
            "winners_built_on_another_agents_path": sum(bool(r["builds_on"]) for r in rows),
            "winning_classes": {c: sum(r["agent"].split("/")[0] == c for r in rows)
                                for c in sorted({r["agent"].split("/")[0] for r in rows})}}))
        for r in rows:
            per_task.setdefault(r["task"], []).append((seed, r["agent"].split("/")[0], multi[r["task"]],
                                                       single.get(r["task"])))
    print("\n| task | " + " | ".join(f"seed {s}: winner, agents / single" for s in seeds) + " |")
    print("|---|" + "---|" * len(seeds))
    for task, cells in sorted(per_task.items()):
        text = [f"{c}, {100 * m:.2f}% / {100 * s:.2f}%" if s is not None else f"{c}, {100 * m:.2f}% / -"
                for _, c, m, s in cells]
        print(f"| {task} | " + " | ".join(text) + " |")


main()
