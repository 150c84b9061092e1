#!/usr/bin/env bash
# A soak test of jllm serve (issue 18; numbers in docs/OPERATIONS.md): DURATION of mixed load — stateless
# chat (plain and streamed), stateful turns, completions, embeddings, cancelled streams, bad requests —
# from `jllm soak`, with a graceful restart of the server (SIGTERM, drain, start again on the same data)
# in the middle. It watches the server's RSS and heap; the verdict, soak.json, soak.csv and soak.png go to
# the report directory. Not part of the test suite.
#
#   scripts/soak.sh DURATION [--report DIR] [--users N] [--port P] [-- SERVE_ARGS...]
#   e.g. scripts/soak.sh 30m    scripts/soak.sh 5m -- -m /tmp/m.gguf --store postgres://u:p@127.0.0.1/db
#
# The server gets JAVA_OPTS=-Xms512m -Xmx512m -XX:+AlwaysPreTouch: its heap is committed and touched at
# start, so RSS does not grow as the heap expands and a growing RSS means native memory (threads, buffers,
# code); the heap is judged by its floor each minute (after the collections). Default model: the bundled one.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
duration=$1; shift
report=/tmp/jllm-soak users=6 port=18300
while [ $# -gt 0 ]; do
  case "$1" in
    --report) report=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$duration" in *h) secs=$(( ${duration%h} * 3600 )) ;; *m) secs=$(( ${duration%m} * 60 )) ;; *s) secs=${duration%s} ;; *) secs=$duration ;; esac
mkdir -p "$report"
data=$report/data
./jllm --version >/dev/null
serve() {
  JAVA_OPTS="-Xms512m -Xmx512m -XX:+AlwaysPreTouch ${JAVA_OPTS:-}" nohup ./jllm serve --port "$port" --data-dir "$data" --max-per-key 64 --max-waiting 128 "$@" \
    >>"$report/serve.log" 2>&1 &
  echo $! >"$report/serve.pid"
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "soak.sh: the server did not come up; see $report/serve.log" >&2; exit 1
}
stop_server() {
  local pid; pid=$(cat "$report/serve.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
serve "$@"
trap 'stop_server' EXIT
./jllm soak --url "http://127.0.0.1:$port" --duration "${secs}s" --users "$users" --pid-file "$report/serve.pid" --report "$report" \
  >"$report/soak.log" 2>&1 &
soak=$!
sleep $(( secs / 2 ))
echo "soak.sh: restarting the server at $(( secs / 2 )) s (SIGTERM, drain, start)" | tee -a "$report/soak.log"
stop_server
serve "$@"
status=0
wait "$soak" || status=$?
tail -n 30 "$report/soak.log"
echo "soak.sh: report in $report (soak.json, soak.csv, soak.png, serve.log)"
exit $status
