#!/usr/bin/env bash
# The ES ProtoNet's number-of-workers sweep (issue 27): configs/protonet-es-5w5s.yaml for
# GENERATIONS generations (4) on 1 process (1 and 2 threads) and on 2 and 4 MPI ranks of 1 thread
# (4 oversubscribed on a 2-core host), each update mode, one run at a time. The ranks must give the
# same result per generation as one process (bitwise for this full-rank noise with Adam);
# bench/protonet_es_workers.py compares every generation's fitness statistics and the final
# weights, and prints the time per generation (JSON lines, then markdown).
#   bash bench/protonet_es_workers.sh          (OUT_DIR: runs/bench-protonet-es-workers)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT_DIR:-runs/bench-protonet-es-workers}
generations=${GENERATIONS:-4}
rm -rf "$out"
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
run=(meta --config configs/protonet-es-5w5s.yaml --set run.time_budget_s=0 --set run.generations="$generations"
  --set run.report_every=0 --set problem.val_episodes=20 --set test.episodes=20)
for threads in 1 2; do
  build/bin/metaevo --threads "$threads" --log-level warn "${run[@]}" --output "$out/1x$threads" > /dev/null
done
for ranks in 2 4; do
  for update in replicated sliced; do
    mpirun -np "$ranks" --oversubscribe build/bin/metaevo --threads 1 --log-level warn "${run[@]}" \
      --set run.update="$update" --output "$out/$ranks-$update" > /dev/null
  done
done
/usr/bin/python3 bench/protonet_es_workers.py "$out"
