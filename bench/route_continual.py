#!/usr/bin/env python3
"""Reads bench/route_continual.sh's runs: per benchmark and seed, the final mean test accuracy over
the 10 tasks of the routing network with co-training, without it, and of both dense baselines;
the paired gains and whether each holds by at least 1 point; the mean forgetting; then the
forgetting matrix of the first seed's routing network with co-training. Prints one JSON line per
(benchmark, seed), then markdown tables.
Usage: route_continual.py OUT SEED..."""
import json
import sys
from pathlib import Path

from paired import paired_row

out, seeds = Path(sys.argv[1]), sys.argv[2:]
variants = ("cotrain", "no_cotrain", "dense_parameters", "dense_compute")


def result(benchmark, variant, seed):
    return json.loads((out / f"{benchmark}-{variant}-{seed}" / "result.json").read_text())


def forgetting_rows(benchmark, variant, seed):
    path = out / f"{benchmark}-{variant}-{seed}" / "forgetting.jsonl"
    return [r["test"] for r in map(json.loads, path.read_text().splitlines()) if "test" in r]


for benchmark in ("permutations", "rotations"):
    rows = []
    for seed in seeds:
        r = {v: result(benchmark, v, seed) for v in variants}
        row = paired_row(r, "cotrain", ("test_accuracy", "forgetting", "parameters"), benchmark=benchmark,
                         seed=int(seed), steps=r["cotrain"]["steps"])
        rows.append(row)
        print(json.dumps(row))
    print(f"\nMNIST-{benchmark.capitalize()}: final mean test accuracy over the 10 tasks (mean forgetting)\n")
    print("| seed | co-training | no co-training | dense, same parameters | dense, same compute | "
          "gain over no co-training | over dense params | over dense compute | all by 1 pt |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        cells = " | ".join(f"{100 * row[v + '_test_accuracy']:.2f}% ({100 * row[v + '_forgetting']:.1f})" for v in variants)
        gains = " | ".join(f"{100 * row['gain_over_' + v]:+.2f} pt" for v in variants[1:])
        all_beat = all(row["beats_" + v] for v in variants[1:])
        print(f"| {row['seed']} | {cells} | {gains} | {'yes' if all_beat else 'no'} |")
    print("\nparameters: " + ", ".join(f"{v} {rows[0][v + '_parameters']:,}" for v in variants))
    a = forgetting_rows(benchmark, "cotrain", seeds[0])
    print(f"\nforgetting matrix, co-training, seed {seeds[0]} (row: after task i; column: task j; test %)\n")
    print("| after | " + " | ".join(str(j) for j in range(len(a[0]))) + " |")
    print("|---" * (len(a[0]) + 1) + "|")
    for i, row in enumerate(a):
        print(f"| {i} | " + " | ".join(f"{100 * x:.1f}" for x in row) + " |")
