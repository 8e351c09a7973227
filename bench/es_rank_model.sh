#!/usr/bin/env bash
# ES time per generation against ranks (issue 27): the parts of a generation measured on 1 and 2
# ranks, a model built from them, checked on 4 ranks (oversubscribed on a 2-core host) and
# projected to 64 and 256. `metaevo bench es` runs once per setting, one at a time and interleaved:
# 1 process, then 2 and 4 ranks in the `replicated` and `sliced` update modes. Its JSON splits
# rank 0's time per generation into evaluation, the update's own work, and collectives (waits
# included); bench/es_rank_model.py fits and prints the model (JSON lines, then markdown).
#   bash bench/es_rank_model.sh [REPEATS] [extra `metaevo bench es` flags]
# MODEL replaces the model flags (default: the MLP at low rank 4 of bench/mpi_scaling.sh, whose
# update is about 14% of a generation); GENERATIONS the timed generations per run (200); OUT the JSON
# lines file (runs/bench-es-rank-model.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-2}
shift || true
out=${OUT:-runs/bench-es-rank-model.jsonl}
mkdir -p "$(dirname "$out")"
: > "$out"
# Root in containers; shared memory without the single-copy mechanism containers often forbid.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
read -ra model <<< "${MODEL:---model mlp --hidden 128 --low-rank 4}"
bench=(bench es "${model[@]}" --dataset fashion-mnist --population 512 --batch 256 --generations "${GENERATIONS:-200}" "$@")
for _ in $(seq "$repeats"); do
  build/bin/metaevo --threads 1 --log-level warn "${bench[@]}" | tee -a "$out"
  for ranks in 2 4; do
    for update in replicated sliced; do
      mpirun -np "$ranks" --oversubscribe build/bin/metaevo --threads 1 --log-level warn "${bench[@]}" \
        --update "$update" | tee -a "$out"
    done
  done
done
/usr/bin/python3 bench/es_rank_model.py "$out" --cores "$(nproc)"
