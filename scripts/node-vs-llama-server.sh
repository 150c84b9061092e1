#!/bin/bash
# The Node suites of the official openai SDK (jllm-server/src/test/node: openai-compat.mjs,
# openai-logprobs.mjs, openai-tools.mjs — what OpenAiNode*Test runs against jllm serve) run against
# llama.cpp's llama-server instead, to catch differences between the two servers' API shapes
# (issue 12). Prints every check as ok / FAIL (first line of the reason) / skip, then a summary;
# full outputs and server logs stay in the work folder it names.
#   LLAMA_SERVER=/path/to/llama-server scripts/node-vs-llama-server.sh [TOOLS_MODEL.gguf]
# - compat and logprobs suites: testdata/models/stories260K.gguf (the model the Java tests use;
#   their token ids are its), served as `stories260K` with --jinja (no template in the GGUF: llama-server's
#   ChatML) and --embedding --pooling mean (llama-server refuses /v1/embeddings with pooling none).
# - tools suite: TOOLS_MODEL, a GGUF whose chat template takes tools. Default: written here with
#   `jllm init` — the shape of ServerFixture.randomModel (dim 128, 2 layers, 2048 context, q8_0, seed 11)
#   but with Qwen3's vocabulary and qwen3.jinja stored in the GGUF. The Java test's own fixture (a
#   512-token synthetic byte vocabulary) makes llama-server's grammar sampler fail
#   ("Failed to initialize samplers"), so llama-server gets real <tool_call> / <|im_end|> tokens.
# Every server is llama-server with --jinja on a free port, 1 slot, 2 threads (THREADS=...).
# JLLM_TARGET=llama-server makes the suites skip (and say so) what only jllm has: stored responses
# and conversations, max_output_chars / usage.jllm, jllm's error wording. Everything else must hold
# on both servers; a FAIL is a difference (README, "Against llama-server", lists the known ones).
# Needs Node.js 20+ (scripts/test-setup.sh fetches one; its PATH is used when present), the suites'
# node_modules (npm ci there when missing), python3 and curl. jllm: $JLLM (default ./jllm) writes the
# default tools model. Exit status: 0 when no check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
L=${LLAMA_SERVER:?set LLAMA_SERVER to a llama.cpp llama-server binary (build llama.cpp yourself)}
JLLM=${JLLM:-./jllm}
THREADS=${THREADS:-2}
W=$(mktemp -d /tmp/jllm-node-vs-llama.XXXX)
NODE_DIR=jllm-server/src/test/node
STORIES=testdata/models/stories260K.gguf

# Node.js 20+: the one scripts/test-setup.sh fetched when the system's is older
eval "$(scripts/test-setup.sh --env 2>/dev/null | grep '^export PATH=' || true)"
node --version >/dev/null
[ -d "$NODE_DIR/node_modules/openai" ] || (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)

TOOLS_MODEL=${1:-}
if [ -z "$TOOLS_MODEL" ]; then
  TOOLS_MODEL=$W/random-qwen3.gguf
  # shellcheck disable=SC2086
  $JLLM init "$TOOLS_MODEL" --arch llama --dim 128 --hidden 384 --layers 2 --heads 4 --kv-heads 4 --head-dim 32 \
    --ctx 2048 --type q8_0 --seed 11 --tied-embeddings true --tokenizer testdata/tokenizers/hf-qwen3/tokenizer.json \
    --chat-template testdata/chat/templates/qwen3.jinja --eos-token '<|im_end|>' 2>/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
# start NAME ALIAS MODEL ARGS...: a llama-server on a free port; sets PORT
start() {
  local name=$1 alias=$2 model=$3
  shift 3
  PORT=$(free_port)
  "$L" -m "$model" --alias "$alias" --host 127.0.0.1 --port "$PORT" -t "$THREADS" -np 1 --jinja "$@" >"$W/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 240); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.25
  done
  echo "llama-server ($name) did not come up; its log: $W/$name.log" >&2
  tail -n 20 "$W/$name.log" >&2
  exit 1
}

FAILED=0
# suite FILE BASE_URL MODEL: runs one suite with JLLM_TARGET=llama-server, prints its check lines
suite() {
  local file=$1 url=$2 model=$3 out=$W/${1%.mjs}.out
  echo "== $file against llama-server ($model)"
  (cd "$NODE_DIR" && JLLM_TARGET=llama-server JLLM_MODEL="$model" node "$file" "$url" "$model") >"$out" 2>&1 || true
  # a check line, its first reason line after a FAIL (no stack), the notes of skipped parts
  awk '/^(ok|skip) /{print; next} /^     \(/{print; next} /^     cause: /{print substr($0, 1, 200); next}
       /^FAIL /{print substr($0, 1, 300); getline n; if (n !~ /^ *at / && n != "") print "       " substr(n, 1, 200); next}' "$out"
  local f; f=$(grep -c '^FAIL ' "$out" || true)
  FAILED=$((FAILED + f))
  echo "   $(grep -c '^ok ' "$out" || true) ok, $f failed, $(grep -c '^skip ' "$out" || true) skipped (output: $out)"
}

start stories stories260K "$STORIES" -c 128 --embedding --pooling mean
suite openai-compat.mjs "http://127.0.0.1:$PORT/v1" stories260K
suite openai-logprobs.mjs "http://127.0.0.1:$PORT/v1" stories260K
start tools random-qwen3 "$TOOLS_MODEL" -c 2048
suite openai-tools.mjs "http://127.0.0.1:$PORT/v1" random-qwen3
echo "llama-server $("$L" --version 2>&1 | grep -m1 '^version' || true); $FAILED failed checks; logs: $W"
[ "$FAILED" -eq 0 ]
