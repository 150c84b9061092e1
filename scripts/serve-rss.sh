#!/usr/bin/env bash
# Resident memory of `jllm serve` against llama.cpp's yardstick, model file + KV cache (issue 13, "Memory"):
# starts the server on MODEL, reads VmRSS / RssAnon / RssFile from /proc/PID/status once it is ready and
# again after 4 completions of 16 tokens, then stops it. Linux only (reads /proc). Not a speed benchmark.
#   scripts/serve-rss.sh MODEL.gguf [JAR] [extra serve flags, e.g. --kv-cache-mem 512MiB]
# JAR defaults to jllm-cli/target/jllm.jar (build: ./build -q -o -pl jllm-cli -am package -DskipTests).
# JAVA_OPTS is added to the JVM flags (as ./jllm does), e.g. JAVA_OPTS=-XX:MaxNewSize=64m.
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:?usage: scripts/serve-rss.sh MODEL.gguf [JAR] [serve flags]}; shift
JAR=${1:-jllm-cli/target/jllm.jar}; [ $# -gt 0 ] && shift
. scripts/find-jdk.sh
OPTS=$(cat "$(dirname "$JAR")/jvm.options" 2>/dev/null || echo "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED")
P=${PORT:-8917}; B=http://127.0.0.1:$P; D=$(mktemp -d /tmp/serve-rss.XXXXXX)
# shellcheck disable=SC2086
nice "$JAVA_HOME/bin/java" $OPTS ${JAVA_OPTS:-} -jar "$JAR" serve -m "$M" --port $P --data-dir "$D/data" --kv-disk-budget 0 -t 2 "$@" > "$D/serve.log" 2>&1 &
SP=$!
trap 'kill -TERM $SP 2>/dev/null; wait $SP 2>/dev/null; rm -rf "$D"' EXIT
for _ in $(seq 1 1200); do curl -sf $B/ready > /dev/null 2>&1 && break; sleep 0.5; done
curl -sf $B/ready > /dev/null || { echo "server did not get ready; log:"; cat "$D/serve.log"; exit 1; }
mb() { grep "^$1:" /proc/$SP/status | awk '{printf "%.0f", $2 / 1024}'; }
row() { echo "| $1 | $(mb VmRSS) | $(mb RssAnon) | $(mb RssFile) |"; }
echo "model $(basename "$M"): file $(( $(stat -c %s "$M") / 1048576 )) MiB; server log:"
grep -i -E "kv|cache|memory|repack" "$D/serve.log" | head -5 || true
echo "| when | VmRSS MiB | RssAnon MiB | RssFile MiB |"
echo "|---|---|---|---|"
row "after load (ready)"
for i in 1 2 3 4; do
  curl -sf $B/v1/completions -H 'Content-Type: application/json' \
    -d "{\"model\":\"$(basename "$M" .gguf)\",\"prompt\":\"the cat sat on the mat and then\",\"max_tokens\":16,\"temperature\":0}" > /dev/null
done
row "after 4 completions × 16 tokens"
