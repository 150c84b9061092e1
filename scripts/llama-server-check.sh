#!/bin/bash
# Does llama.cpp's llama-server run the bundled default model with its own chat template and answer as
# jllm does? Serves the GGUF with both servers, plays the same held-out memory dialogues statelessly
# through each at temperature 0 (`jllm demo recall`), and compares the answers dialogue by dialogue.
#   LLAMA_SERVER=/path/to/llama-server scripts/llama-server-check.sh [MODEL.gguf] [DIALOGUES.jsonl] [N]
# llama.cpp is not part of this repository: build it yourself (see the README's references).
set -euo pipefail
cd "$(dirname "$0")/.."
L=${LLAMA_SERVER:?set LLAMA_SERVER to a llama.cpp llama-server binary}
M=${1:-models/jllm-chat.q8_0.gguf}
W=$(mktemp -d /tmp/jllm-llama-check.XXXX)
D=${2:-$W/heldout.jsonl}
N=${3:-100}
[ -f "$D" ] || ./jllm demo dialogues --split heldout --count "$N" --seed 7 --distractors 1-2 --corrections 0 --out "$D" >/dev/null
"$L" -m "$M" --port 8297 -t 2 -c 1024 --jinja --temp 0 --seed 1 -np 1 >"$W/llama-server.log" 2>&1 &
LP=$!
./jllm serve -m "$M" --port 8298 --data-dir "$W/jllm-data" -t 2 >"$W/jllm-serve.log" 2>&1 &
JP=$!
trap 'kill $LP $JP 2>/dev/null || true' EXIT
for p in 8297 8298; do
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$p/v1/models" >/dev/null && break; sleep 0.5; done
done
./jllm demo recall --url http://127.0.0.1:8297 --data "$D" --limit "$N" --mode stateless --json "$W/llama.json" | sed 's/^/llama-server  /'
./jllm demo recall --url http://127.0.0.1:8298 --data "$D" --limit "$N" --mode stateless --json "$W/jllm.json" | sed 's/^/jllm serve    /'
python3 - "$W/llama.json" "$W/jllm.json" <<'PY'
import json, sys
a, b = (json.load(open(f))['results'] for f in sys.argv[1:3])
same = sum(x['stateless']['answer'] == y['stateless']['answer'] for x, y in zip(a, b))
print(f"same final answer from llama-server and jllm serve: {same}/{len(a)}")
for x, y in zip(a, b):
    if x['stateless']['answer'] != y['stateless']['answer']:
        print(f"  {x['id']}: llama-server {x['stateless']['answer']!r}  jllm {y['stateless']['answer']!r}")
PY
echo "logs and reports: $W"
