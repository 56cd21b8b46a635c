#!/usr/bin/env bash
# The shipped default policy's training from scratch (docs/benchmarks.md, "Less pessimism"): one command.
# 20,000 aimed-reach bootstrap episodes (seed 2), then 8,000 offline steps of the lookup network with one
# target net and a conservative penalty of 0.3 (configs/bin-lookup-mild.json), validation every 1,000 steps.
# The policy is the run's best on validation (step 4,000 when it was shipped); test objects appear nowhere.
# The earlier default added a round of the policy's own greedy episodes; on this recipe that round held
# its start's level without passing it (docs), so it is left out.
# Usage: scripts/train-default.sh [OUT]    (OUT defaults to runs/default)
# Run again after an interruption, it resumes; a finished run is left as it is.
# Then: scripts/ship-policy.sh OUT/mild-s2
set -euo pipefail
usage='usage: scripts/train-default.sh [OUT]   (a folder for the run; default runs/default)'
if [ $# -gt 1 ] || [[ "${1:-}" == -* ]]; then echo "train-default: $usage" >&2; exit 2; fi
out=${1:-runs/default}
run="$out/mild-s2"
resume=()
if [ -e "$run" ]; then resume=(--resume); fi
node bin/pincer.js train --out "$run" --scene scenes/bin.json --config configs/bin-lookup-mild.json --seed 2 "${resume[@]}"
