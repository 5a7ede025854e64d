#!/bin/bash
# The 2-hour Fashion-MNIST result (README "A longer CPU result"), stage by stage:
#   1. SSL pre-training with configs/ssl/fashion-mnist-2h.yaml (bf16, a checkpoint every 15 minutes);
#   2. its accuracy curve: every checkpoint, the fast protocols, all labels and 100 per class;
#   3. the paper's probes (bounded variant, 4 views per image), added to the curve: every checkpoint at 100 labels per
#      class, the last one also with all labels;
#   4. the bf16 bar: the same preset in fp32 up to the step of one of the SSL run's checkpoints (FP32_STEP, default the
#      first from step 800 on; same seed and schedule), probed like that checkpoint;
#   5. the supervised baseline on the same 1,000 labels for the same training minutes as stage 1;
#   6. its curve at 100 labels per class, and the paper's probes on its last checkpoint.
# A stage that is done is skipped and a stopped training is resumed from its latest checkpoint, so the script can be
# run again after any stop. Training times are what the runs measure, so keep the machine quiet in stages 1 and 5
# (the results of the other stages do not depend on the load).
# Usage: deploy/checks/fashion-mnist-2h.sh [OUT]   (default OUT=runs/fm2h; build first: dotnet build src/Scott.Lab.Cli;
#        needs `apt-get install dataset-fashion-mnist`)
set -eu
cd "$(dirname "$0")/../.."
out=${1:-runs/fm2h}
ssl=$out/ssl
supervised=$out/supervised
cli() { dotnet src/Scott.Lab.Cli/bin/Debug/net10.0/scott-lab.dll "$@"; }

# Training minutes over every invocation of a run (each resume restarts metrics' wall_seconds).
minutes() {
    [ -f "$1/metrics.jsonl" ] || { echo 0; return; }
    python3 - "$1/metrics.jsonl" <<'EOF'
import json, sys
total = last = 0.0
for line in open(sys.argv[1]):
    wall = json.loads(line).get("wall_seconds")
    if wall is None: continue
    if wall < last: total += last
    last = wall
print(round((total + last) / 60))
EOF
}

# Done: every step trained, or the wall-clock budget reached.
trained() {
    [ -f "$1/summary.json" ] && python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); sys.exit(0 if s["steps"] >= s["total_steps"] or s.get("budget_reached") else 1)' "$1/summary.json"
}

train() { # CONFIG DIR [--set k=v]...
    local config=$1 dir=$2; shift 2
    if trained "$dir"; then echo "$dir: trained ($(minutes "$dir") min)"; return; fi
    if [ -d "$dir/checkpoints" ]; then cli train --resume --run-dir "$dir" "$@"; else cli train "$config" --run-dir "$dir" "$@"; fi
}

train configs/ssl/fashion-mnist-2h.yaml "$ssl" --set trainer.max_minutes=$((125 - $(minutes "$ssl")))
cli eval --run "$ssl" --checkpoints all --budgets all,100
# The paper's probes train 3 heads for 100 epochs on 4 augmented views of each image: 1,600 steps of 64 per head at
# 100 labels per class, 84,400 with all 54,000, so every checkpoint gets the former and only the last the latter.
cli eval --run "$ssl" --checkpoints all --protocol paper --probe-views 4 --budgets 100
cli eval --run "$ssl" --checkpoints last --protocol paper --probe-views 4 --budgets all

# FP32_STEP picks the checkpoint to match (default: the first from step 800 on); fp32 trains at about 0.4x the speed.
step=${FP32_STEP:-$(ls "$ssl/checkpoints" | sed -n 's/^step-0*\([0-9][0-9]*\)$/\1/p' | sort -n | awk '$1 >= 800' | head -1)}
[ -d "$ssl/checkpoints/$(printf 'step-%08d' "$step")" ] || { echo "FP32_STEP=$step: $ssl has no checkpoint at that step" >&2; exit 2; }
fp32=$out/fp32-$step
if [ ! -d "$fp32/checkpoints/$(printf 'step-%08d' "$step")" ]; then
    if [ -d "$fp32/checkpoints" ]; then cli train --resume --run-dir "$fp32" --max-steps "$step" --set trainer.max_minutes=600
    else cli train configs/ssl/fashion-mnist-2h.yaml --run-dir "$fp32" --max-steps "$step" --set trainer.precision=fp32 --set trainer.max_minutes=600; fi
fi
cli eval --run "$fp32" --checkpoints last --budgets all,100
echo "bf16 against fp32 at step $step: compare $ssl/eval/curve.json (that step) with $fp32/eval/curve.json"

budget=$(minutes "$ssl")
echo "supervised baseline: $budget training minutes, as the SSL run"
train configs/baselines/fashion-mnist-supervised-2h.yaml "$supervised" --set trainer.max_minutes=$((budget - $(minutes "$supervised")))
cli eval --run "$supervised" --checkpoints all --budgets 100
# Its last checkpoint also gets the paper's probes, so that both sides of the bar choose among the same four probes.
cli eval --run "$supervised" --checkpoints last --protocol paper --probe-views 4 --budgets 100
echo "curves: $ssl/eval/curve.json and $supervised/eval/curve.json; compare the two runs in the portal to see them overlaid"
