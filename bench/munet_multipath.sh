#!/usr/bin/env bash
# Multipath agents on the 10-task benchmark systems (issue 31). For each system directory given
# (an agents' run of bench/munet_agents.sh: DIR/system.db and DIR/agents.json), a copy of its store
# in OUT/<name>/system.db gets one `multipath` agent per task (`metaevo agents` with
# agents.classes=[multipath]): one cycle of GENERATIONS children (4 by default), main_path best (path_0
# is the task's winning single path, so the gain is over the very path it builds on), each child
# trained as the system's children are (3 x 50 batches of 128), PARALLEL agents at once (2) on one
# thread each. The system's seed and root settings are read from its store. bench/munet_multipath.py
# then prints, per task and seed, the winning single path's and the multipath model's test
# accuracy, activated and trained parameters and the attached tasks (JSON lines, then markdown).
# Usage: bench/munet_multipath.sh SYSTEM_DIR... (default: OUT_DIR=runs/bench-munet-multipath,
# systems runs/bench-munet-agents/agents-c3-s{1,2-sqlite,3}). Reruns resume finished agents.
set -euo pipefail
cd "$(dirname "$0")/.."
systems=("$@")
((${#systems[@]})) || systems=(runs/bench-munet-agents/agents-c3-s1 runs/bench-munet-agents/agents-c3-s2-sqlite
                               runs/bench-munet-agents/agents-c3-s3)
out=${OUT_DIR:-runs/bench-munet-multipath}
metaevo=${METAEVO:-build/bin/metaevo}  # another binary (a copy) keeps a rebuild from changing a long run
generations=${GENERATIONS:-4}
parallel=${PARALLEL:-2}
mkdir -p "$out"
for system in "${systems[@]}"; do
  name=$(basename "$system")
  mkdir -p "$out/$name"
  [[ -f $out/$name/system.db ]] || cp "$system/system.db" "$out/$name/system.db"
  read -r seed root_validations < <(/usr/bin/python3 - "$system/system.db" <<'PY'
import json, sqlite3, sys
s = json.loads(sqlite3.connect(sys.argv[1]).execute("SELECT value FROM settings WHERE key = 'system'").fetchone()[0])
print(s["seed"], s["root"]["validations"])
PY
)
  "$metaevo" --threads 1 agents --config configs/agents-10-tasks.yaml --set seed="$seed" --set 'root.task=""' \
    --set root.from=runs/bench-munet-agents/root/system.db --set root.validations="$root_validations" \
    --set 'agents.classes=[multipath]' --set agents.parallel="$parallel" --set agent.cycles=1 \
    --set agent.generations="$generations" --set agent_classes.multipath.main_path=best \
    --storage "$out/$name/system.db" --output "$out/$name" > "$out/$name.log" 2>&1
done
/usr/bin/python3 bench/munet_multipath.py "$out" "${systems[@]}"
