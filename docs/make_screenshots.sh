#!/usr/bin/env bash
# The report screenshots under docs/: short real runs of each command, each report.html rendered
# by headless Chromium. About 5 minutes on 2 cores; needs scripts/setup.sh's build, data and Vega
# scripts, Omniglot for `meta`, and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/screenshots
rm -rf "$out"
mkdir -p "$out"
shot() {  # page png height
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=20000 \
    --window-size=1100,"$3" --screenshot="$2" "file://$PWD/$1" 2>/dev/null
  echo "wrote $2"
}
m=build/bin/metaevo
$m --log-level warn es --config configs/es-fashion-mnist-quick.yaml --output $out/es > /dev/null
shot $out/es/report.html docs/report-es.png 1700
$m --log-level warn meta --config configs/protonet-backprop-5w5s.yaml --output $out/meta --set backprop.episodes=400 \
  --set backprop.val_every=50 --set problem.val_episodes=50 --set test.episodes=100 > /dev/null
shot $out/meta/report.html docs/report-meta.png 1500
$m --log-level warn mlo --config configs/mlo-weight-decay.yaml --output $out/mlo --set engine.train_iters=4000 \
  --set engine.valid_step=200 > /dev/null
shot $out/mlo/report.html docs/report-mlo.png 1900
$m --log-level warn tune --config configs/tune-table-asha.yaml --output $out/tune > /dev/null
shot $out/tune/report.html docs/report-tune.png 1900
$m tune status --output $out/tune --top 5 > /dev/null
shot $out/tune/report.html docs/report-tune-status.png 1900
cat > $out/evolve.yaml <<'YAML'
seed: 1
vit: {channels: 1, image_size: 32, patch: 8, width: 32, depth: 2, heads: 2, mlp_dim: 64}
train: {batch_size: 64, validations: 2, batches_between_validations: 20, validation_batches: 5}
evolution: {children: 3}
task_iterations: 2
tasks: [mnist, mnist-rot:90, mnist-perm:1]
YAML
$m --log-level warn evolve --config $out/evolve.yaml --output $out/evolve > /dev/null
shot $out/evolve/report.html docs/report-evolve.png 1700
