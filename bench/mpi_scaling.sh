#!/usr/bin/env bash
# Distributed ES scaling on one host: 1 process x 1 thread against 2 MPI ranks x 1 thread, in both
# update modes, repeated and interleaved (this VM's speed drifts). Prints the bench JSON lines.
# The host's own ceiling comes first in each repetition: two independent 1-thread processes at once
# (lines marked "independent"); their summed evals/s over one alone bounds any 2-rank speed-up.
#   bash bench/mpi_scaling.sh [REPEATS] [extra `metaevo bench es` flags, e.g. --low-rank 4 --generations 300]
# MODEL replaces the model flags (default "--model mlp --hidden 128"), e.g. MODEL="--model cnn".
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
shift || true
# Root in containers; shared memory without the single-copy mechanism containers often forbid.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
read -ra model <<< "${MODEL:---model mlp --hidden 128}"
bench=(bench es "${model[@]}" --dataset fashion-mnist --population 512 --batch 256 "$@")
for _ in $(seq "$repeats"); do
  build/bin/metaevo --threads 1 --log-level warn "${bench[@]}"
  for i in 1 2; do
    build/bin/metaevo --threads 1 --log-level warn "${bench[@]}" | sed 's/^{/{"independent": '"$i"', /' &
  done
  wait
  for update in replicated all_reduce; do
    mpirun -np 2 --oversubscribe build/bin/metaevo --threads 1 --log-level warn "${bench[@]}" --update "$update"
  done
done
