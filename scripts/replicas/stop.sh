#!/usr/bin/env bash
# Stops what scripts/replicas/start.sh started: HAProxy, then each replica with SIGTERM (it drains:
# requests in flight finish within its --shutdown-grace, conversations' KV goes to disk).
#   scripts/replicas/stop.sh [--dir /tmp/jllm-replicas]
set -euo pipefail
dir=/tmp/jllm-replicas
[ "${1:-}" = --dir ] && dir=$2
stop() { # pid file
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "stop.sh: $pid still running after 40 s; kill -9" >&2; kill -9 "$pid"; }
  fi
  rm -f "$1"
}
stop "$dir/haproxy.pid"
for f in "$dir"/r*.pid; do [ -e "$f" ] && stop "$f"; done
echo "stopped the replicas and HAProxy of $dir"
