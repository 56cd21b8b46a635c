#!/usr/bin/env bash
# Installs whatever is missing for pincer, then builds it. Safe to run again: each step
# is skipped when its result is already there. Used by `npm test` and `npm run quickstart`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

# 1. Debian packages: Xvfb gives headless-gl an X display (it also pulls in libX11/libXext
#    that gl's ANGLE build links against). Only when absent and only where apt exists.
if ! command -v Xvfb >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing Debian package xvfb"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends xvfb xauth >&2
  else
    say "WARNING: Xvfb is missing and apt-get is not usable here; rendering needs an X display (set DISPLAY or install xvfb)"
  fi
fi

# 2. npm packages, when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

# 3. gl must have built its native addon; fail loudly instead of rendering nothing later.
if [ ! -f node_modules/gl/build/Release/webgl.node ]; then
  say "gl's native addon is missing; rebuilding it"
  npm rebuild gl >&2 || true
fi
if [ ! -f node_modules/gl/build/Release/webgl.node ]; then
  say "ERROR: node_modules/gl/build/Release/webgl.node was not built (is 'gl' approved in package.json allowScripts, and are python3, make and g++ installed?)"
  exit 1
fi

# 4. Build dist/ when any source is newer than the last build.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src tsconfig.json package.json -newer "$stamp" -print -quit)" ]; then
  say "building (tsc, then the viewer page with esbuild)"
  rm -rf dist
  npm run -s build >&2
  touch "$stamp"
fi
