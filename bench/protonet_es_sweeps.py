"""Tables of bench/protonet_es_sweeps.sh: per run, the evaluations spent, wall time, final
validation accuracy and the test accuracy (95% interval) of each ways/shots setting. With
--curve WINDOW, each run's curve too: per window of WINDOW member evaluations, the population's mean
training loss and the last validation accuracy in it (also for runs still going).
Usage: protonet_es_sweeps.py OUT_DIR [--curve WINDOW]"""
import argparse
import json
from pathlib import Path


def curve(folder, window):
    """Rows of (window's last evaluations, mean training loss, last validation accuracy or None)."""
    windows = {}
    for line in (folder / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "evals" not in record or "mean" not in record:
            continue
        w = windows.setdefault((record["evals"] - 1) // window, {"losses": [], "val": None, "evals": 0})
        w["losses"].append(record["mean"])
        w["evals"] = record["evals"]
        if "val_acc" in record:
            w["val"] = record["val_acc"]
    return [(w["evals"], sum(w["losses"]) / len(w["losses"]), w["val"]) for _, w in sorted(windows.items())]


def print_curves(root, window):
    for folder in sorted(p for p in root.iterdir() if (p / "metrics.jsonl").exists()):
        rows = curve(folder, window)
        print(f"\n{folder}: per {window:,} evaluations")
        print("| evaluations | " + " | ".join(f"{e / 1000:.1f}k" for e, _, _ in rows) + " |")
        print("|---|" + "---|" * len(rows))
        print("| mean training loss | " + " | ".join(f"{loss:.3f}" for _, loss, _ in rows) + " |")
        print("| validation % | " + " | ".join("" if v is None else f"{100 * v:.1f}" for _, _, v in rows) + " |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--curve", type=int, default=0, metavar="WINDOW")
    args = parser.parse_args()
    if args.curve < 0:
        parser.error(f"--curve: the window must be a positive number of evaluations, got {args.curve}")
    root = args.out_dir
    if args.curve:
        print_curves(root, args.curve)
    rows = []
    for folder in sorted(p for p in root.iterdir() if (p / "test.json").exists()):
        result = json.loads((folder / "result.json").read_text())
        test = {f"{t['ways']}w{t['shots']}s": (t["acc"], t["ci95"]) for t in json.loads((folder / "test.json").read_text())}
        population, channels = (int(x[1:]) for x in folder.name.split("-"))
        row = {"run": folder.name, "population": population, "channels": channels, "evals": result["evals"],
               "generations": result["generations"], "elapsed_s": result["elapsed_s"],
               "val_acc": result["final"]["val_acc"], "test": test}
        rows.append(row)
        print(json.dumps(row))
    settings = ["5w5s", "5w1s", "20w1s", "20w5s"]
    print("\n| population | channels | evaluations | generations | minutes | validation | "
          + " | ".join(settings) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(settings))
    for r in rows:
        tests = " | ".join(f"{100 * r['test'][s][0]:.2f} +- {100 * r['test'][s][1]:.2f}" for s in settings)
        print(f"| {r['population']} | {r['channels']} | {r['evals']:,} | {r['generations']} | {r['elapsed_s'] / 60:.1f} "
              f"| {100 * r['val_acc']:.2f} | {tests} |")


if __name__ == "__main__":
    main()
