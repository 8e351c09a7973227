#!/usr/bin/env python3
"""Reads bench/grow_pays.sh's runs: per seed, the from-scratch budget B (its training FLOPs) and
final test accuracy A, the FLOPs at which the grown run's test accuracy first reaches A, whether
that is at most B/1.3, and the plateau: the from-scratch validation accuracy's mean over its last
three points minus its mean over the three points ending at three quarters of the run. Prints one JSON line per seed and a markdown table, and writes both curves
(test accuracy against training FLOPs) to OUT/curves.csv. Usage: grow_pays.py OUT SEED..."""
import csv
import json
import sys
from pathlib import Path

out, seeds = Path(sys.argv[1]), sys.argv[2:]


def records(run):
    lines = (out / run / "metrics.jsonl").read_text().splitlines()[1:]
    return [json.loads(line) for line in lines if line.strip()]


def plateau_gain(recs):
    def mean(rs):
        return sum(r["valid_accuracy"] for r in rs) / len(rs)
    at = 3 * len(recs) // 4
    return round(mean(recs[-3:]) - mean(recs[max(0, at - 3):at]), 4)


rows, curves = [], []
for seed in seeds:
    scratch, grown = records(f"scratch-{seed}"), records(f"grown-{seed}")
    budget = scratch[-1]["train_flops"]
    target = json.loads((out / f"scratch-{seed}" / "result.json").read_text())["test_accuracy"]
    reached = next((r["train_flops"] for r in grown if r["test_accuracy"] >= target), None)
    grown_final = json.loads((out / f"grown-{seed}" / "result.json").read_text())["test_accuracy"]
    row = {"seed": int(seed), "budget_flops": budget, "scratch_test_accuracy": target,
           "scratch_valid_last3": [r["valid_accuracy"] for r in scratch[-3:]],
           "scratch_valid_gain_last_quarter": plateau_gain(scratch),
           "grown_test_accuracy": grown_final, "grown_flops": grown[-1]["train_flops"],
           "grown_flops_to_reach": reached,
           "ratio": budget / reached if reached else None,
           "pays": reached is not None and reached <= budget / 1.3}
    rows.append(row)
    print(json.dumps(row))
    for name, recs in (("scratch", scratch), ("grown", grown)):
        curves += [{"seed": seed, "run": name, "train_flops": r["train_flops"], "step": r["step"],
                    "valid_accuracy": r["valid_accuracy"], "test_accuracy": r["test_accuracy"]} for r in recs]

with open(out / "curves.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(curves[0]))
    writer.writeheader()
    writer.writerows(curves)
print("| seed | B (TFLOP) | A: scratch test acc. | scratch valid. gain, last quarter | grown reaches A at (TFLOP) "
      "| B / that | grown final test acc. | pays (<= B/1.3) |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    at = f"{r['grown_flops_to_reach'] / 1e12:.2f}" if r["grown_flops_to_reach"] else "never"
    ratio = f"{r['ratio']:.2f}x" if r["ratio"] else "-"
    print(f"| {r['seed']} | {r['budget_flops'] / 1e12:.2f} | {100 * r['scratch_test_accuracy']:.2f}% | "
          f"{100 * r['scratch_valid_gain_last_quarter']:+.2f} pt | {at} | {ratio} | "
          f"{100 * r['grown_test_accuracy']:.2f}% | {'yes' if r['pays'] else 'no'} |")
