#!/usr/bin/env bash
# Installs whatever is missing for pincer, then builds it. Safe to run again: each step is
# skipped when its result is already there. `npm run quickstart` runs it as is; `npm test`
# runs `setup.sh --test`, which also needs Debian's chromium for the browser tests.
#
# Debian packages come from apt, and only where apt is usable (apt-get present, run as root).
# Anything missing that cannot be installed stops setup with one line naming it and how to
# install it. Tool output (apt, npm ci) goes to a log file whose path is printed on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false
case "${1:-}" in
  --test) for_tests=true ;;
  '') ;;
  *) printf 'usage: scripts/setup.sh [--test]\n' >&2; exit 2 ;;
esac

say() { printf 'setup: %s\n' "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }
newlog() { mktemp "${TMPDIR:-/tmp}/pincer-setup-$1.XXXXXX.log"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || fail "pincer needs Node 20 or newer (found: $(node --version 2>/dev/null || echo none)); install it from https://nodejs.org or your system's packages"

npm_install_needed() { [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }
gl_built() { [ -f node_modules/gl/build/Release/webgl.node ]; }
stamp=dist/.build-stamp
build_needed() { [ ! -f "$stamp" ] || [ ! -f dist/native/pincer-conv.node ] || [ -n "$(find src scripts/build-native.sh tsconfig.json package.json -newer "$stamp" -print -quit)" ]; }

# 1. Debian packages, each only when what it provides is absent.
missing=()
# gl's install script compiles its addon with node-gyp. Tried in a fresh bookworm root (only
# git, Node 20 and npm): without any one of python3, make or g++ the build fails; pkg-config
# and X11/GL headers are not needed (gl loads its bundled ANGLE libraries at run time).
if npm_install_needed || ! gl_built; then
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  command -v make >/dev/null 2>&1 || missing+=(make)
fi
# g++ also builds pincer's native convolution kernels (scripts/build-native.sh) in step 4.
if npm_install_needed || ! gl_built || build_needed; then
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
fi
# headless gl renders into an X display; pincer starts its own Xvfb when DISPLAY is unset.
# xvfb also brings the X client libraries (libX11, libXext) that gl's ANGLE loads.
[ -n "${DISPLAY:-}" ] || command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
# The browser tests drive Debian's chromium through playwright-core (executablePath /usr/bin/chromium).
if $for_tests && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    log=$(newlog apt)
    export DEBIAN_FRONTEND=noninteractive
    # Wait for a dpkg lock held by another apt run instead of failing at once.
    apt=(apt-get -o DPkg::Lock::Timeout=300 -q -y)
    if ! { "${apt[@]}" update && "${apt[@]}" install --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
      fail "apt-get could not install ${missing[*]} (its output: $log)"
    fi
    rm -f "$log"
  else
    fail "missing ${missing[*]}; install with: sudo apt-get install ${missing[*]} (or your system's packages of those names), then run this again"
  fi
fi

# 2. npm packages, when node_modules is missing or older than the lockfile. gl builds here.
if npm_install_needed; then
  log=$(newlog npm-ci)
  say "installing npm packages (npm ci)"
  if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
    if grep -q 'node_modules/gl' "$log"; then
      fail "npm ci failed building gl's native addon (it needs python3, make and g++); its output: $log"
    fi
    fail "npm ci failed; its output: $log"
  fi
  rm -f "$log"
fi

# 3. gl must have built its native addon; fail loudly instead of rendering nothing later.
if ! gl_built; then
  log=$(newlog gl)
  say "gl's native addon is missing; rebuilding it"
  npm rebuild gl >"$log" 2>&1 || true
  gl_built || fail "node_modules/gl/build/Release/webgl.node was not built (is 'gl' approved in package.json allowScripts, and are python3, make and g++ installed?); npm's output: $log"
  rm -f "$log"
fi

# 4. Build dist/ when any source is newer than the last build.
if build_needed; then
  say "building (tsc, the viewer page with esbuild, the native kernels with g++)"
  rm -rf dist
  npm run -s build >&2
  touch "$stamp"
fi
