#!/usr/bin/env bash
# Starts N jllm serve replicas on one PostgreSQL and HAProxy in front of them, on this machine
# (docs/OPERATIONS.md, Replicas; docs/SCALING.md for beyond one machine).
#
#   scripts/replicas/start.sh --store postgres://USER:PASS@HOST:5432/DB [-n 2] [--port 8080] [--stats-port 8404]
#                             [--first-port 9001] [--dir /tmp/jllm-replicas] [-- SERVE_ARGS...]
#   scripts/replicas/stop.sh [--dir /tmp/jllm-replicas]
#
# SERVE_ARGS go to every `jllm serve` (e.g. -m model.gguf, or --registry chat --admin-key admin.key;
# default: the bundled model). Replica i listens on 127.0.0.1:(first-port + i - 1) with --data-dir DIR/rI
# (its KV files), logs to DIR/rI.log; HAProxy (scripts/replicas/haproxy.cfg, filled in as DIR/haproxy.cfg)
# on 127.0.0.1:PORT, its stats on 127.0.0.1:STATS-PORT/stats and /ready. Needs Debian's haproxy
# (apt-get install -y haproxy) and a reachable PostgreSQL (scripts/test-postgres.sh starts a local one).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=2 port=8080 stats=8404 first=9001 dir=/tmp/jllm-replicas store=
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --stats-port) stats=$2; shift 2 ;;
    --first-port) first=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "start.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$store" ] || { echo "start.sh: --store postgres://USER:PASS@HOST:PORT/DB is required (all replicas share it)" >&2; exit 2; }
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { echo "start.sh: haproxy is missing: apt-get install -y haproxy" >&2; exit 1; }
hap=$(command -v haproxy || echo /usr/sbin/haproxy)
mkdir -p "$dir"
./jllm --version >/dev/null   # builds the jar once, before N replicas would race to

servers= tracked=
for i in $(seq 1 "$n"); do
  p=$((first + i - 1))
  if [ -f "$dir/r$i.pid" ] && kill -0 "$(cat "$dir/r$i.pid")" 2>/dev/null; then
    echo "start.sh: replica $i is running already (pid $(cat "$dir/r$i.pid")); scripts/replicas/stop.sh --dir $dir first" >&2; exit 1
  fi
  nohup ./jllm serve --store "$store" --host 127.0.0.1 --port "$p" --data-dir "$dir/r$i" "$@" >"$dir/r$i.log" 2>&1 &
  echo $! >"$dir/r$i.pid"
  servers+="    server r$i 127.0.0.1:$p check"$'\n'
  tracked+="    server r$i 127.0.0.1:$p track jllm/r$i"$'\n'
done
for i in $(seq 1 "$n"); do
  p=$((first + i - 1))
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$p/ready" >/dev/null 2>&1 && break
    kill -0 "$(cat "$dir/r$i.pid")" 2>/dev/null || { echo "start.sh: replica $i exited; see $dir/r$i.log" >&2; tail -n 5 "$dir/r$i.log" >&2; exit 1; }
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$p/ready" >/dev/null || { echo "start.sh: replica $i not ready after 60 s; see $dir/r$i.log" >&2; exit 1; }
done
python3 - "$dir/haproxy.cfg" "127.0.0.1:$port" "127.0.0.1:$stats" "$servers" "$tracked" <<'PY'
import sys
out, front, stats, servers, tracked = sys.argv[1:]
t = open("scripts/replicas/haproxy.cfg").read()
t = t.replace("{{FRONTEND}}", front).replace("{{STATS}}", stats).replace("{{SERVERS}}", servers.rstrip()).replace("{{TRACKED}}", tracked.rstrip())
open(out, "w").write(t)
PY
"$hap" -c -q -f "$dir/haproxy.cfg"
"$hap" -f "$dir/haproxy.cfg" -D -p "$dir/haproxy.pid"
echo "jllm replicas: $n × jllm serve on 127.0.0.1:$first..$((first + n - 1)) (store $(echo "$store" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#')), HAProxy on http://127.0.0.1:$port"
echo "  pool: http://127.0.0.1:$stats/stats (;csv), http://127.0.0.1:$stats/ready; logs and pids in $dir; stop: scripts/replicas/stop.sh --dir $dir"
