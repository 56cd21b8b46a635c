#!/usr/bin/env bash
# The shipped default policy's training from scratch (docs/benchmarks.md, "An aim of 1.5 cm"): one
# command. 20,000 aimed-reach bootstrap episodes (seed 2; aim 1.5 cm of noise per axis), then 8,000 offline
# steps of the lookup network with grasp points, one target net and a conservative penalty of 0.1
# (configs/bin-lookup-aim15.json), a checkpoint and 100 validation episodes every 500 steps. The shipped
# checkpoint (step 7,000) is the best of steps 3,500 … 8,000 on 300 validation episodes, confirmed on 1,000
# more; test objects appear nowhere.
# Usage: scripts/train-default.sh [OUT]    (OUT defaults to runs/default)
# Run again after an interruption, it resumes; a finished run is left as it is.
# Then: npx pincer select OUT/aim15-s2 --episodes 300 --seed 9 --from 3500
#       scripts/ship-policy.sh OUT/aim15-s2 STEP
set -euo pipefail
usage='usage: scripts/train-default.sh [OUT]   (a folder for the run; default runs/default)'
if [ $# -gt 1 ] || [[ "${1:-}" == -* ]]; then echo "train-default: $usage" >&2; exit 2; fi
out=${1:-runs/default}
run="$out/aim15-s2"
resume=()
if [ -e "$run" ]; then resume=(--resume); fi
node bin/pincer.js train --out "$run" --scene scenes/bin.json --config configs/bin-lookup-aim15.json --seed 2 "${resume[@]}"
