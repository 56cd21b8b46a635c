#!/usr/bin/env bash
# Builds pincer's native kernels (src/tf/native/conv.cc: convolutions and the Q-head's scores) into dist/native/, for
# this machine's CPU (-march=native: AVX-512 or AVX2 with FMA where present). Needs g++ and
# Node's own headers (node_api.h, installed with Node). src/tf/native.ts loads the result; without
# it training runs on the slower wasm kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
include=$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")
[ -f "$include/node_api.h" ] || { printf 'build-native: Node headers not found at %s (they come with Node)\n' "$include" >&2; exit 1; }
command -v g++ >/dev/null 2>&1 || { printf 'build-native: g++ not found; install it (Debian: apt-get install g++)\n' >&2; exit 1; }
# Usage: build-native.sh [OUT [FLAG…]]: another output and extra compiler flags, for tests that build a
# variant (-DPINCER_LANES=4: vectors of another width).
out=$(realpath -m "${1:-dist/native/pincer-conv.node}")
shift $(( $# > 0 ? 1 : 0 ))
mkdir -p "$(dirname "$out")"
g++ -O3 -march=native -std=c++17 -pthread -shared -fPIC -fvisibility=hidden -Wall -Wextra "$@" -I"$include" src/tf/native/conv.cc -o "$out.tmp"
mv "$out.tmp" "$out"
