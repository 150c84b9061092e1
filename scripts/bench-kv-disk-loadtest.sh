#!/usr/bin/env bash
# Conversation KV on disk, part 3: TTFT per turn for warm / disk / re-prefill with jllm loadtest, one plot.
#   scripts/bench-kv-disk-loadtest.sh MODEL.gguf [OUT_DIR]
# 1. jllm serve MODEL (data in a temporary directory, an admin key of its own, the KV disk tier on);
#    jllm loadtest --scenario stateful,stateful-evict --label warm,disk: the same conversation shape kept warm,
#    and evicted (POST /admin/kv/evict, as the LRU under --kv-cache-mem would) before every turn after the first,
#    so each of those turns loads its history from disk;
# 2. the server restarted with --kv-disk-budget 0: stateful-evict again, --label re-prefill (the evicted history
#    is prefilled again);
# 3. jllm plot --loadtest of both JSON files: OUT_DIR/kv-disk-ttft.png (mean and P90 TTFT, cached tokens per turn).
# Knobs (environment): TURNS (6), PROMPT_TOKENS (600 new tokens a turn: ~3,800 tokens of history by turn 6),
# MAX_TOKENS (32), CONVERSATIONS (2 per run, one at a time), THREADS (2), PORT (8193), KV_MEM (512MiB).
# Model for docs/PERFORMANCE.md (the Qwen2.5-0.5B shape, as scripts/bench-kv-disk-restart.sh):
#   ./jllm init --preset qwen2.5-0.5b --tokenizer testdata/tokenizers/hf-qwen3/tokenizer.json --type q8_0 --random --seed 1 /tmp/kvb/q05.gguf
# A quick check that the script works (stories260K has a 128-token context: two short turns):
#   TURNS=2 PROMPT_TOKENS=6 MAX_TOKENS=4 scripts/bench-kv-disk-loadtest.sh testdata/models/stories260K.gguf /tmp/kvlt
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 MODEL.gguf [OUT_DIR]" >&2; exit 2; }
MODEL=$(realpath "$1"); [ -f "$MODEL" ] || { echo "no model file $1" >&2; exit 2; }
OUT=$(realpath -m "${2:-./kv-disk-loadtest}")
cd "$(dirname "$0")/.."
TURNS=${TURNS:-6}; PROMPT_TOKENS=${PROMPT_TOKENS:-600}; MAX_TOKENS=${MAX_TOKENS:-32}; CONVERSATIONS=${CONVERSATIONS:-2}
THREADS=${THREADS:-2}; PORT=${PORT:-8193}; KV_MEM=${KV_MEM:-512MiB}
URL=http://127.0.0.1:$PORT
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/jllm-kv-loadtest.XXXXXX)
SP=""
cleanup() { if [ -n "$SP" ]; then kill -TERM "$SP" 2>/dev/null || true; wait "$SP" 2>/dev/null || true; fi; rm -rf "$WORK"; }
trap cleanup EXIT
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/admin.key"
export JLLM_ADMIN_KEY=$(cat "$WORK/admin.key")   # jllm loadtest's default for --admin-key

start() { # extra serve options...
  nice ./jllm serve -m "$MODEL" --port "$PORT" --data-dir "$WORK/data" --admin-key "$WORK/admin.key" -t "$THREADS" --kv-cache-mem "$KV_MEM" "$@" \
    > "$OUT/serve.log" 2>&1 & SP=$!
  for _ in $(seq 1 600); do
    curl -sf "$URL/ready" > /dev/null 2>&1 && return
    kill -0 "$SP" 2> /dev/null || { echo "jllm serve exited; its log:" >&2; cat "$OUT/serve.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "jllm serve did not get ready in 300 s (log: $OUT/serve.log)" >&2; exit 1
}
stop() { kill -TERM "$SP"; wait "$SP" || true; SP=""; }
loadtest() { # scenarios labels json [options...]
  local sc=$1 lb=$2 js=$3; shift 3
  ./jllm loadtest --url "$URL" --concurrency 1 --requests $((CONVERSATIONS * TURNS)) --turns "$TURNS" --prompt-tokens "$PROMPT_TOKENS" \
    --max-tokens "$MAX_TOKENS" --ignore-eos --scenario "$sc" --label "$lb" --json "$js" "$@"
}

echo "== warm and disk: KV disk tier on (--kv-disk-budget default)"
start
loadtest stateful,stateful-evict warm,disk "$OUT/warm-disk.json" --plot "$OUT/warm-disk.png" | tee "$OUT/warm-disk.txt"
stop
echo "== re-prefill: restarted with --kv-disk-budget 0"
start --kv-disk-budget 0
loadtest stateful-evict re-prefill "$OUT/re-prefill.json" | tee "$OUT/re-prefill.txt"
stop
./jllm plot --loadtest "$OUT/warm-disk.json" --loadtest "$OUT/re-prefill.json" --metric "mean_ttft_ms=mean TTFT per turn (ms)" \
  --metric "p90_ttft_ms=P90 TTFT per turn (ms)" --metric "mean_cached_tokens=cached prompt tokens per turn" --out "$OUT/kv-disk-ttft.png"
echo "results in $OUT: kv-disk-ttft.png (warm / disk / re-prefill), warm-disk.{json,txt,png}, re-prefill.{json,txt}"
