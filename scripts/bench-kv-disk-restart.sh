#!/usr/bin/env bash
# Conversation KV on disk, part 1: warm turns, restarts (first request of a fresh JVM), re-prefill (--kv-disk-budget 0),
# for a ~3,800-token conversation on the Qwen2.5-0.5B shape. Make the model first:
#   ./jllm init --preset qwen2.5-0.5b --tokenizer testdata/tokenizers/hf-qwen3/tokenizer.json --type q8_0 --random --seed 1 /tmp/kvb/q05.gguf
# Results: docs/PERFORMANCE.md, "Conversation KV on disk".
set -euo pipefail
cd "$(dirname "$0")/.."; mkdir -p /tmp/kvb
M=/tmp/kvb/q05.gguf; D=/tmp/kvb/data; P=8191; B=http://127.0.0.1:$P
rm -rf $D
start() { nice ./jllm serve -m $M --port $P --data-dir $D -t 2 --kv-cache-mem 512MiB "$@" > /tmp/kvb/serve.log 2>&1 & SP=$!
  for i in $(seq 1 600); do curl -sf $B/ready >/dev/null 2>&1 && return; sleep 0.5; done; echo "server did not start"; exit 1; }
stop() { kill -TERM $SP; wait $SP || true; }
turn() { # input, max tokens -> prints seconds, input tokens, cached
  curl -s -o /tmp/kvb/r.json -w '%{time_total}' $B/v1/responses -H 'Content-Type: application/json' \
    -d '{"model":"q05","conversation":"'$C'","input":"'"$1"'","max_output_tokens":'$2',"temperature":0}' > /tmp/kvb/t
  echo "$(cat /tmp/kvb/t) s $(jq -c '[.usage.input_tokens, .usage.input_tokens_details.cached_tokens, .status]' /tmp/kvb/r.json)"
}
LONG=$(python3 -c "
import random; random.seed(1)
w='the cat sat on a mat and then went to the park where many children played with red balls under green trees'.split()
print(' '.join(random.choice(w) for _ in range(3800)))")
start
C=$(curl -s $B/v1/conversations -H 'Content-Type: application/json' -d '{}' | jq -r .id)
echo "turn 1 (prefill ~3,800 words): $(turn "$LONG" 8)"
echo "warm 1: $(turn "Go on." 1)"
echo "warm 2: $(turn "And then?" 1)"
echo "warm 3: $(turn "More." 1)"
stop; ls -la $D/kv
start
echo "after restart (disk) 1: $(turn "Go on again." 1)"
echo "warm after disk: $(turn "Yes." 1)"
stop
start
echo "after restart (disk) 2: $(turn "Once more." 1)"
stop
start --kv-disk-budget 0
echo "after restart, no KV on disk (re-prefill): $(turn "Last one." 1)"
stop
curl -s $B/metrics >/dev/null 2>&1 || true
