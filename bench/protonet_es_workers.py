"""Compares the runs of bench/protonet_es_workers.sh with the 1-process, 1-thread run: every
generation's fitness statistics and the final weights (bitwise), and the time per generation."""
import json
import statistics
import sys
from pathlib import Path

import torch


def generations(folder):
    rows = [json.loads(line) for line in open(folder / "metrics.jsonl")]
    return [r for r in rows if "generation" in r]


def weights(folder):
    return torch.load(folder / "weights.pt")  # a state_dict (README, "weights.pt")


def main():
    root = Path(sys.argv[1])
    base = root / "1x1"
    ref_gens, ref_weights = generations(base), weights(base)
    rows = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        gens, w = generations(folder), weights(folder)
        same_stats = [(a["best"], a["mean"], a["worst"]) == (b["best"], b["mean"], b["worst"])
                      for a, b in zip(gens, ref_gens)]
        same_weights = w.keys() == ref_weights.keys() and all(torch.equal(w[k], ref_weights[k]) for k in w)
        # The first generation carries the start-up (data loading, threads) in some runs.
        seconds = statistics.fmean(g["seconds"] for g in gens[1:]) if len(gens) > 1 else gens[0]["seconds"]
        row = {"run": folder.name, "generations": len(gens), "same_fitness_every_generation": all(same_stats),
               "same_weights": same_weights, "s_per_generation": seconds, "members_per_s": gens[0]["evals"] / seconds}
        rows.append(row)
        print(json.dumps(row))
    one = next(r for r in rows if r["run"] == "1x1")["s_per_generation"]
    print("\n| run | s per generation | members/s | speed-up over 1x1 | same fitness every generation | same weights |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['s_per_generation']:.2f} | {r['members_per_s']:.1f} | {one / r['s_per_generation']:.2f}x "
              f"| {'yes' if r['same_fitness_every_generation'] else 'no'} | {'yes' if r['same_weights'] else 'no'} |")


if __name__ == "__main__":
    main()
