#!/usr/bin/env bash
# The ES ProtoNet's population evaluation against the plain PyTorch loop, side by side in one run
# (this machine's speed drifts between sessions): conv4-64, one 5-way 5-shot 15-query episode per
# generation, population 128. One JSON line each; take them with nothing else running.
# The peer runs three times: as a user would start it; with the runtime settings metaevo applies to
# itself (no mmapped heap blocks and huge pages for large blocks, configure_allocator; passive
# OpenMP waiting, main.cpp); and with those settings and its network and images in channels-last,
# as tuned by hand.
#   bash bench/protonet_es_speed.sh            # THREADS=2 GENERATIONS=3 by default
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
generations=${GENERATIONS:-3}
build/bin/metaevo --threads "$threads" --log-level warn bench es --model protonet --population 128 \
  --generations "$generations"
peer=(/usr/bin/python3 bench/protonet_es_peer.py --population 128 --generations "$generations" --threads "$threads")
"${peer[@]}" | sed 's/^{/{"runtime": "default", /'
tuned=(env MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 OMP_WAIT_POLICY=PASSIVE
  GLIBC_TUNABLES=glibc.malloc.hugetlb=1)
"${tuned[@]}" "${peer[@]}" | sed 's/^{/{"runtime": "as metaevo", /'
"${tuned[@]}" "${peer[@]}" --channels-last | sed 's/^{/{"runtime": "as metaevo", /'
