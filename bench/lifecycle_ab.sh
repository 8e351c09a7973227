#!/usr/bin/env bash
# Side by side, in one run: `metaevo bench es` (full and low rank) and the quick-start accuracy of
# two builds (e.g. before and after a refactor), alternating so that drift hits both alike.
#   bench/lifecycle_ab.sh OLD_BINARY NEW_BINARY [REPEATS]
# Prints one JSON line per measurement: {"build": "old"|"new", "what": ..., ...}.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 repeats=${3:-2}
out=$(mktemp -d)
bench() {  # build binary rank generations
  "$2" --threads 2 --log-level warn bench es --model mlp --hidden 128 --dataset fashion-mnist --population 512 \
    --batch 256 --generations "$4" --low-rank "$3" | python3 -c "
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
print(json.dumps({'build': '$1', 'what': 'bench es low_rank $3', 'evals_per_s': r['evals_per_s']}))"
}
quick() {  # build binary
  "$2" --threads 2 --log-level warn es --config configs/es-fashion-mnist-quick.yaml --output "$out/$1" > /dev/null
  python3 -c "
import json
r = json.load(open('$out/$1/result.json'))
print(json.dumps({'build': '$1', 'what': 'quick-start', 'test_acc': r['final']['test_acc'], 'elapsed_s': r['elapsed_s']}))"
  rm -rf "${out:?}/$1"
}
for i in $(seq "$repeats"); do
  for b in old new; do
    bin=$old; [ "$b" = new ] && bin=$new
    bench "$b" "$bin" 0 40
    bench "$b" "$bin" 4 200
  done
done
for b in old new; do
  bin=$old; [ "$b" = new ] && bin=$new
  quick "$b" "$bin"
done
rm -rf "$out"
