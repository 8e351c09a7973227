#!/usr/bin/env bash
# Meta-Weight-Net against plain training on 40%-noisy Fashion-MNIST labels, over seeds: one JSON
# line per run (final and best test accuracy). Usage: bench/mlo_reweight.sh [seeds...] [-- extra --set flags]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=(); extra=()
while (($#)); do [[ $1 == -- ]] && { shift; extra=("$@"); break; }; seeds+=("$1"); shift; done
((${#seeds[@]})) || seeds=(1 2 3)
out=${OUT_DIR:-runs/bench-mlo-reweight}
for seed in "${seeds[@]}"; do
  for reweight in true false; do
    dir="$out/seed$seed-reweight-$reweight"
    rm -rf "$dir"
    build/bin/metaevo --log-level warn mlo --config configs/mlo-reweight-fashion.yaml --output "$dir" \
      --set seed="$seed" --set program.reweight="$reweight" "${extra[@]}" > /dev/null
    python3 - "$dir" "$seed" "$reweight" <<'PY'
import json, sys
d, seed, reweight = sys.argv[1:]
rows = [json.loads(l) for l in open(d + "/metrics.jsonl") if l.strip()]
rows = [r for r in rows if r.get("metrics") != "metaevo"]  # the first line names the x axis
print(json.dumps({"seed": int(seed), "reweight": reweight == "true", "final_test_acc": rows[-1]["test_acc"],
                  "best_test_acc": max(r["test_acc"] for r in rows),
                  "final_fit_flipped": rows[-1].get("fit_flipped"),
                  "seconds": json.load(open(d + "/result.json"))["seconds"]}))
PY
  done
done
