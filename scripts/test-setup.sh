#!/usr/bin/env bash
# Makes this machine ready for the full test suite. ./build (no arguments, the README's test command)
# runs it before `mvnw verify`, so a fresh clone needs nothing else. Prints JLLM_TEST_PG_URL on stdout,
# progress on stderr:  JLLM_TEST_PG_URL=$(scripts/test-setup.sh)
#  1. Node.js + npm and Debian's chromium (OpenAiNodeCompatTest runs the openai npm SDK,
#     WebChatBrowserTest the chat page in headless Chromium): apt-get install of whichever is missing,
#     after an apt-get update (only then).
#  2. PostgreSQL (the conversation store's contract tests): scripts/test-postgres.sh, unless
#     JLLM_TEST_PG_URL already names a server.
#  3. npm ci of jllm-server/src/test/node's locked packages when node_modules is missing or
#     package-lock.json changed since the last npm ci (a stamp in node_modules); it also fills npm's
#     cache, from which the tests install their own copies offline.
# Not root: installs go through `sudo -n`; without it, stops and names the command to run.
# Everything present: ~0.1 s. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "test-setup: $*" >&2; }
die() { say "$*"; exit 1; }
start=$EPOCHREALTIME
NODE_DIR=jllm-server/src/test/node
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# 1. Debian packages
pkgs=()
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
if [ ! -x "$CHROMIUM" ]; then
  [ "$CHROMIUM" = /usr/bin/chromium ] || die "CHROMIUM=$CHROMIUM is not an executable; unset it to use Debian's chromium"
  pkgs+=(chromium)
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  apt_cmd="apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${pkgs[*]}"
  command -v apt-get >/dev/null \
    || die "missing ${pkgs[*]} and this is not Debian/Ubuntu: install Node.js 20+, npm and Chromium (CHROMIUM=/path/to/it), then ./build again"
  if [ "$(id -u)" = 0 ]; then sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n)
  else die "missing ${pkgs[*]}, and not root without password-less sudo. Run once: sudo sh -c '$apt_cmd'   then ./build again"
  fi
  say "installing ${pkgs[*]} from Debian${sudo:+ (sudo -n)}: the real-client tests need Node.js, npm and /usr/bin/chromium"
  nice "${sudo[@]}" apt-get update -q >&2 || die "apt-get update failed; run: sudo sh -c '$apt_cmd'"
  nice "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >&2 \
    || die "apt-get install ${pkgs[*]} failed; run: sudo sh -c '$apt_cmd'"
fi
node_version=$(node --version)
major=${node_version#v}; major=${major%%.*}
[ "$major" -ge 20 ] 2>/dev/null || say "warning: node $node_version is older than the 20+ the locked packages ask for (playwright-core)"

# 2. PostgreSQL
if [ -n "${JLLM_TEST_PG_URL:-}" ]; then
  pg_url=$JLLM_TEST_PG_URL
else
  pg_url=$(scripts/test-postgres.sh) || die "no PostgreSQL for the store tests (see above), so the build would fail: stopping here"
fi

# 3. The locked npm packages
stamp=$NODE_DIR/node_modules/.jllm-package-lock.sha256
want=$(sha256sum < "$NODE_DIR/package-lock.json")
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  if [ -d "$NODE_DIR/node_modules" ]; then why="package-lock.json changed"; else why="no node_modules yet"; fi
  say "npm ci in $NODE_DIR ($why): the locked openai + playwright-core for the real-client tests"
  (cd "$NODE_DIR" && nice npm ci --no-audit --no-fund --loglevel=error) >&2 || die "npm ci in $NODE_DIR failed (see above)"
  echo "$want" > "$stamp"
fi

ms=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
say "ready in ${ms} ms: node $node_version, npm, $CHROMIUM, $NODE_DIR/node_modules, PostgreSQL at ${pg_url#*@}"
echo "$pg_url"
