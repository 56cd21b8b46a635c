#!/usr/bin/env bash
# Copy a training run's best checkpoint (on validation) into a policy folder that
# `pincer eval --policy DIR` loads like the run itself: the run's config.json (its
# scene and CEM settings), checkpoints/best.json and that one checkpoint's network,
# without the learner's resume state (optimizer moments, target nets).
# Usage: scripts/ship-policy.sh RUN [DEST]   (DEST defaults to assets/policies/default)
set -euo pipefail
run=${1:?usage: scripts/ship-policy.sh RUN [DEST]}
dest=${2:-assets/policies/default}
best="$run/checkpoints/best.json"
[ -f "$run/config.json" ] || { echo "ship-policy: $run/config.json: not a training run" >&2; exit 2; }
[ -f "$best" ] || { echo "ship-policy: $best: the run has no best checkpoint yet" >&2; exit 2; }
step=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).step)' "$best")
name=$(printf 'step-%08d' "$step")
tmp="$dest.tmp-$$"
rm -rf "$tmp"
mkdir -p "$tmp/checkpoints/$name"
cp "$run/config.json" "$tmp/"
cp "$best" "$tmp/checkpoints/"
cp "$run/checkpoints/$name/"{checkpoint.json,model.json,weights.bin} "$tmp/checkpoints/$name/"
rm -rf "$dest"
mv "$tmp" "$dest"
echo "$dest: step $step of $run"
