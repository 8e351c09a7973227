#!/usr/bin/env bash
# Hypergradient methods on one problem (configs/mlo-weight-decay-fashion.yaml: 7,840 per-weight
# decays of a Fashion-MNIST logistic regression) as the unroll length K grows: test accuracy after
# 2,000 lower steps (2000/K upper steps), seconds per upper step, and peak memory while training
# (each row a fresh process; the peak is reset once data is loaded). One JSON line per row.
# Usage: bench/mlo_methods.sh [K ...]   (default 10 50 200); METHODS="itd cg" to choose methods.
set -euo pipefail
cd "$(dirname "$0")/.."
ks=("$@"); ((${#ks[@]})) || ks=(10 50 200)
methods=(${METHODS:-itd darts neumann cg es})
out=${OUT_DIR:-runs/bench-mlo-methods}
for k in "${ks[@]}"; do
  for method in "${methods[@]}"; do
    dir="$out/$method-k$k"
    rm -rf "$dir"
    case "$method" in  # each method's own settings (cg keeps the program's 3 iterations)
      neumann) choice="{name: neumann, iterations: 5, alpha: 0.1}" ;;
      es) choice="{name: es, pairs: 16, sigma: 0.1}" ;;
      *) choice="$method" ;;
    esac
    build/bin/metaevo --threads "${THREADS:-1}" --log-level warn mlo --config configs/mlo-weight-decay-fashion.yaml \
      --output "$dir" --set problems.model.unroll_steps="$k" --set problems.model.hypergradient="$choice" > /dev/null
    python3 - "$dir" "$method" "$k" <<'PY'
import json, sys
d, method, k = sys.argv[1:]
r = json.load(open(d + "/result.json"))
print(json.dumps({"method": method, "unroll": int(k), "test_acc": r["test_acc"], "valid_loss": r["valid_loss"],
                  "seconds_per_upper_step": r["seconds_per_step"]["decay"], "upper_steps": r["steps"]["decay"],
                  "peak_rss_mb": r["peak_rss_mb"], "peak_rss_above_start_mb": r.get("peak_rss_above_start_mb")}))
PY
  done
done
