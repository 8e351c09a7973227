#!/usr/bin/env python3
"""Reads bench/route_omniglot.sh's runs: per seed, the mean test accuracy over the 20 tasks (at
the best validation step) of Gumbel-Matrix routing and of both baselines, the paired gains, and
whether routing beats each baseline by at least 1 point; then the per-task table of the first
seed and the training examples spent. Prints one JSON line per seed and markdown tables.
Usage: route_omniglot.py OUT SEED..."""
import json
import sys
from pathlib import Path

from paired import paired_row

out, seeds = Path(sys.argv[1]), sys.argv[2:]
methods = ("learned", "full_sharing", "no_sharing")


def result(method, seed):
    return json.loads((out / f"{method}-{seed}" / "result.json").read_text())


rows = []
for seed in seeds:
    r = {m: result(m, seed) for m in methods}
    row = paired_row(r, "learned", ("test_accuracy", "best_step", "parameters"), seed=int(seed),
                     steps=r["learned"]["steps"], tasks=len(r["learned"]["tasks"]))
    rows.append(row)
    print(json.dumps(row))

print("\n| seed | Gumbel-Matrix | full sharing | no sharing | gain over full | gain over none | beats both by 1 pt |")
print("|---|---|---|---|---|---|---|")
for row in rows:
    print(f"| {row['seed']} | {100 * row['learned_test_accuracy']:.2f}% | {100 * row['full_sharing_test_accuracy']:.2f}% | "
          f"{100 * row['no_sharing_test_accuracy']:.2f}% | {100 * row['gain_over_full_sharing']:+.2f} pt | "
          f"{100 * row['gain_over_no_sharing']:+.2f} pt | "
          f"{'yes' if row['beats_full_sharing'] and row['beats_no_sharing'] else 'no'} |")
print("\nparameters: " + ", ".join(f"{m} {rows[0][m + '_parameters']:,}" for m in methods))
print(f"training examples per run: {rows[0]['steps']} steps x {rows[0]['tasks']} tasks x 16 = "
      f"{rows[0]['steps'] * rows[0]['tasks'] * 16:,}")
first = {m: result(m, seeds[0]) for m in methods}
print(f"\nseed {seeds[0]}, test accuracy per task at the best validation step:\n")
print("| task | classes | Gumbel-Matrix | full sharing | no sharing |")
print("|---|---|---|---|---|")
for i, t in enumerate(first["learned"]["tasks"]):
    cells = " | ".join(f"{100 * first[m]['tasks'][i]['test accuracy']:.1f}%" for m in methods)
    print(f"| {t['task'].split(':', 1)[1]} | {t['classes']} | {cells} |")
