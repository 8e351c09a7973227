"""Tables of bench/protonet_es_sweeps.sh: per run, the evaluations spent, wall time, final
validation accuracy and the test accuracy (95% interval) of each ways/shots setting."""
import json
import sys
from pathlib import Path


def main():
    root = Path(sys.argv[1])
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
