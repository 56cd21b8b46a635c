#!/usr/bin/env bash
# Copy one checkpoint of a training run into a policy folder that `pincer eval --policy DIR`
# loads like the run itself: the run's config.json (its scene and CEM settings), a
# checkpoints/best.json naming that checkpoint, and the checkpoint's network, without the
# learner's resume state (optimizer moments, target nets).
# Usage: [POLICY_CEM=S/E/I] scripts/ship-policy.sh RUN [STEP [DEST]]
#   STEP defaults to the run's best on validation; DEST to assets/policies/default.
#   POLICY_CEM sets the shipped config's cem.policySamples/policyElites/policyIterations (the
#   policy's own CEM search, chosen on validation); unset, the run's own settings ship.
set -euo pipefail
run=${1:?usage: scripts/ship-policy.sh RUN [STEP [DEST]]}
step=${2:-}
dest=${3:-assets/policies/default}
[ -f "$run/config.json" ] || { echo "ship-policy: $run/config.json: not a training run" >&2; exit 2; }
if [ -z "$step" ]; then
  [ -f "$run/checkpoints/best.json" ] || { echo "ship-policy: $run/checkpoints/best.json: no best checkpoint yet; give STEP" >&2; exit 2; }
  step=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).step)' "$run/checkpoints/best.json")
fi
name=$(printf 'step-%08d' "$step")
src="$run/checkpoints/$name"
[ -f "$src/model.json" ] || { echo "ship-policy: $src: no such checkpoint" >&2; exit 2; }
tmp="$dest.tmp-$$"
rm -rf "$tmp"
mkdir -p "$tmp/checkpoints/$name"
cp "$run/config.json" "$tmp/"
if [ -n "${POLICY_CEM:-}" ]; then
  [[ "$POLICY_CEM" =~ ^[0-9]+/[0-9]+/[0-9]+$ ]] || { echo "ship-policy: POLICY_CEM=$POLICY_CEM: expected samples/elites/iterations, e.g. 256/16/4" >&2; rm -rf "$tmp"; exit 2; }
  node -e 'const fs = require("fs"); const [file, spec] = process.argv.slice(1); const c = JSON.parse(fs.readFileSync(file, "utf8")); const [s, e, i] = spec.split("/").map(Number); Object.assign(c.qtopt.cem, { policySamples: s, policyElites: e, policyIterations: i }); fs.writeFileSync(file, JSON.stringify(c, null, 2) + "\n")' "$tmp/config.json" "$POLICY_CEM"
fi
cp "$src/"{checkpoint.json,model.json,weights.bin} "$tmp/checkpoints/$name/"
node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(JSON.stringify({ step: c.step, validationSuccess: c.validationSuccess }))' "$src/checkpoint.json" > "$tmp/checkpoints/best.json"
rm -rf "$dest"
mv "$tmp" "$dest"
echo "$dest: step $step of $run"
