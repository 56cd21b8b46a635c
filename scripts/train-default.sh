#!/usr/bin/env bash
# The shipped default policy's training from scratch, as it was run (docs/benchmarks.md,
# "A round of the policy's own episodes"), 51 minutes on 2 AVX-512 cores (run end to end on 2026-12-06;
# training steps take about twice as long on a Zen 3 AVX2 machine, docs/benchmarks.md "A CPU without AVX-512"):
#   1. seed 1's aimed-reach bootstrap (its one gradient step is not used);
#   2. seed 2's lookup network, offline on its own bootstrap (configs/bin-lookup.json);
#   3. 10,000 greedy episodes of its step 2,000 (the run's best on validation);
#   4. 2,000 steps from that checkpoint on both bootstraps and those episodes
#      (configs/bin-lookup-refine.json), so it learns from its own mistakes.
# Every checkpoint used was chosen on validation objects; test objects appear nowhere. A
# second round (episodes of step 4's policy, 4,000 more steps) did not help (docs).
# Usage: scripts/train-default.sh [OUT]    (OUT defaults to runs/default)
# Run again after an interruption, it resumes: each step continues in its folder, and a finished one is
# left as it is. Then: scripts/ship-policy.sh OUT/round1 2000
set -euo pipefail
usage='usage: scripts/train-default.sh [OUT]   (a folder for the runs and episodes; default runs/default)'
if [ $# -gt 1 ] || [[ "${1:-}" == -* ]]; then echo "train-default: $usage" >&2; exit 2; fi
out=${1:-runs/default}
pincer() { node bin/pincer.js "$@"; }
# --resume for a step whose folder exists: pincer continues it, or does nothing if it is complete.
again() { if [ -e "$1" ]; then echo --resume; fi; }
scene=scenes/bin.json

pincer train --out "$out/aimed-s1" --scene $scene --config configs/bin-lookup.json --seed 1 --steps 1 $(again "$out/aimed-s1")
pincer train --out "$out/lookup-s2" --scene $scene --config configs/bin-lookup.json --seed 2 $(again "$out/lookup-s2")
data=("$out/aimed-s1/bootstrap/aimed" "$out/lookup-s2/bootstrap/aimed")

from="$out/lookup-s2/checkpoints/step-00002000"
pincer collect --policy "checkpoint:$from" --episodes 10000 --out "$out/round1-episodes" --scene $scene --seed 77 --workers 2 $(again "$out/round1-episodes")
pincer train --out "$out/round1" --scene $scene --config configs/bin-lookup-refine.json --init "$from" --dataset "${data[@]}" "$out/round1-episodes" --seed 3 --steps 2000 $(again "$out/round1")
