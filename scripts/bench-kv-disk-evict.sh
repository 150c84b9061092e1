#!/usr/bin/env bash
# Conversation KV on disk, part 2: an LRU eviction (--kv-cache-mem 64MiB, a second long conversation) and a restart
# after two short warm-up requests; prints the kv_disk counters. Model: see scripts/bench-kv-disk-restart.sh.
set -euo pipefail
cd "$(dirname "$0")/.."; mkdir -p /tmp/kvb
M=/tmp/kvb/q05.gguf; D=/tmp/kvb/data2; P=8192; B=http://127.0.0.1:$P
rm -rf $D
start() { nice ./jllm serve -m $M --port $P --data-dir $D -t 2 "$@" > /tmp/kvb/serve2.log 2>&1 & SP=$!
  for i in $(seq 1 600); do curl -sf $B/ready >/dev/null 2>&1 && return; sleep 0.5; done; echo "server did not start"; exit 1; }
stop() { kill -TERM $SP; wait $SP || true; }
turn() { # conv, input, max tokens
  curl -s -o /tmp/kvb/r2.json -w '%{time_total}' $B/v1/responses -H 'Content-Type: application/json' \
    -d '{"model":"q05","conversation":"'$1'","input":"'"$2"'","max_output_tokens":'$3',"temperature":0}' > /tmp/kvb/t2
  echo "$(cat /tmp/kvb/t2) s $(jq -c '[.usage.input_tokens, .usage.input_tokens_details.cached_tokens]' /tmp/kvb/r2.json)"
}
words() { python3 -c "
import random; random.seed($2)
w='the cat sat on a mat and then went to the park where many children played with red balls under green trees'.split()
print(' '.join(random.choice(w) for _ in range($1)))"; }
disk() { curl -s $B/metrics | grep -E '^jllm_kv_disk_(hits|load_seconds|read_bytes|written_bytes)_total|^jllm_kv_evicted' | sed 's/{model="q05"}//' | tr '\n' ' '; echo; }
conv() { curl -s $B/v1/conversations -H 'Content-Type: application/json' -d '{}' | jq -r .id; }
start --kv-cache-mem 64MiB
A=$(conv); Bc=$(conv)
echo "A turn 1: $(turn $A "$(words 3800 1)" 8)"
echo "A warm 1: $(turn $A "Go on." 1)"
echo "A warm 2: $(turn $A "And then?" 1)"
echo "B long turn (evicts A): $(turn $Bc "$(words 1800 2)" 1)"
disk
echo "A after eviction (disk): $(turn $A "More." 1)"
disk
echo "A warm again: $(turn $A "Yes." 1)"
stop
start --kv-cache-mem 64MiB
W=$(conv)
echo "warm-up W: $(turn $W "Hi" 1)"
echo "warm-up W2: $(turn $W "Hello there, how are you today?" 1)"
echo "A after restart + warm-up (disk): $(turn $A "Again." 1)"
disk
echo "A warm after that: $(turn $A "Ok." 1)"
stop
