#!/usr/bin/env python3
"""Summary of bench/munet_growth.sh. Per run (plain-sN, grown-sN): average test accuracy, average
accounted and total parameters per task, accuracy per million accounted parameters, children made
by a growth mutation and how many of them were kept, and the retained paths that hold a grown block
or an added layer. Per seed: the grown run minus the plain one. Usage: munet_growth.py OUT SEED..."""
import json
import sys


def summary(run_dir, root_sizes):
    r = json.load(open(run_dir + "/results.json"))
    tasks, its = r["tasks"], r["iterations"]
    n = len(tasks)
    acc = sum(t["test_accuracy"] for t in tasks) / n
    accounted = sum(t["accounted_params"] for t in tasks) / n
    grown_paths = [t["task"] for t in tasks
                   if t["layers"] > root_sizes["layers"] or any(s != root_sizes["block"] for s in t["sizes"].values())]
    return {"tasks": n, "avg_test_acc": round(acc, 4), "avg_accounted_params": round(accounted),
            "avg_total_params": round(sum(t["total_params"] for t in tasks) / n),
            "acc_per_m_accounted": round(acc / accounted * 1e6, 4),
            "children": sum(i["children"] for i in its), "kept": sum(i["kept"] for i in its),
            "grown_children": sum(i.get("grown", 0) for i in its), "grown_kept": sum(i.get("grown_kept", 0) for i in its),
            "retained_grown": grown_paths, "system_params": its[-1]["system_params"]}


def main():
    out, seeds = sys.argv[1], sys.argv[2:]
    root = json.load(open(out + "/root/results.json"))["tasks"][0]
    root_sizes = {"layers": root["layers"], "block": next(iter(root["sizes"].values()))}
    for seed in seeds:
        runs = {kind: summary(f"{out}/{kind}-s{seed}", root_sizes) for kind in ("plain", "grown")}
        for kind, s in runs.items():
            print(json.dumps({"run": f"{kind}-s{seed}", **s}))
        p, g = runs["plain"], runs["grown"]
        print(json.dumps({"seed": int(seed), "grown_minus_plain": {
            "avg_test_acc": round(g["avg_test_acc"] - p["avg_test_acc"], 4),
            "avg_accounted_params": g["avg_accounted_params"] - p["avg_accounted_params"],
            "acc_per_m_accounted": round(g["acc_per_m_accounted"] - p["acc_per_m_accounted"], 4)}}))


main()
