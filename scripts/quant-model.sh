#!/usr/bin/env bash
# The real-weights model of the quantization measurements (docs/QUANTIZATION.md): a 24.6 M-parameter
# llama trained from scratch with `jllm train` on the repository's English corpora, plus the
# held-out and calibration texts those measurements use. Every step is a plain jllm command; a
# rerun skips what exists and resumes training from its checkpoint.
#
#   scripts/quant-model.sh [WORK_DIR]        (default /tmp/jllm-quant-model; ~1 h on 2 free cores)
#
# JLLM overrides the launcher (default ./jllm; the measurement used a copy of the fat jar so that
# rebuilding the worktree could not touch a running training). NICE (default 15) is its niceness.
#
# Data (split by documents, deterministic, nothing shuffled):
#   tinyshakespeare.txt   paragraphs ("\n\n"); the last 5 % are held out
#   clean/wiki_demo.txt   one article per line; articles 14 and 29 (index % 15 == 14) are held out
#   clean/c4_demo.jsonl   one page per line; pages with index % 15 == 14 are held out
# WORK/heldout.txt is the held-out text (never trained on, never in the tokenizer's training text);
# WORK/calib.txt the calibration text of imatrix and GPTQ: every 12th training document (so it is
# training-side text, as llama.cpp's imatrix data usually is), ~220 KB.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/tmp/jllm-quant-model}"
jllm="${JLLM:-$root/jllm}"
nice_n="${NICE:-15}"
mkdir -p "$work"
run() { echo "+ jllm $*" >&2; nice -n "$nice_n" $jllm "$@"; }

if [ ! -f "$work/heldout.txt" ]; then
  python3 - "$root/testdata/corpora" "$work" <<'EOF'
import json, sys, os
src, work = sys.argv[1], sys.argv[2]
train, held = [], []
shak = open(os.path.join(src, "tinyshakespeare.txt"), encoding="utf-8").read().split("\n\n")
cut = len(shak) - len(shak) // 20
train += [p for p in shak[:cut] if p.strip()]
held.append("\n\n".join(shak[cut:]))
for i, line in enumerate(open(os.path.join(src, "clean/wiki_demo.txt"), encoding="utf-8")):
    if line.strip():
        (held if i % 15 == 14 else train).append(line.strip())
for i, line in enumerate(open(os.path.join(src, "clean/c4_demo.jsonl"), encoding="utf-8")):
    t = json.loads(line)["text"]
    (held if i % 15 == 14 else train).append(t)
with open(os.path.join(work, "train.jsonl"), "w", encoding="utf-8") as f:
    for t in train:
        f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
with open(os.path.join(work, "heldout.txt"), "w", encoding="utf-8") as f:
    f.write("\n\n".join(held) + "\n")
with open(os.path.join(work, "calib.txt"), "w", encoding="utf-8") as f:
    f.write("\n\n".join(train[i] for i in range(0, len(train), 12)) + "\n")
print(f"train {len(train)} documents, {sum(len(t.encode()) for t in train)} bytes; "
      f"held out {len(held)} documents, {os.path.getsize(os.path.join(work, 'heldout.txt'))} bytes; "
      f"calib {os.path.getsize(os.path.join(work, 'calib.txt'))} bytes")
EOF
fi

[ -f "$work/tokenizer.json" ] || run tokenizer train --input "$work/train.jsonl" --vocab-size 8192 --pretokenizer llama3 \
    --special '<|endoftext|>' --out "$work/tokenizer.json" --threads 2

[ -f "$work/init.gguf" ] || run init "$work/init.gguf" --tokenizer "$work/tokenizer.json" \
    --bos-token '<|endoftext|>' --eos-token '<|endoftext|>' \
    --dim 512 --layers 6 --heads 8 --kv-heads 8 --ffn-dim 1536 --ctx 512 --tied-embeddings true --seed 1

[ -f "$work/shards/index.txt" ] || run tokenize-corpus --tokenizer "$work/init.gguf" --input "$work/train.jsonl" \
    --val-fraction 0.02 --out "$work/shards"

[ -f "$work/model.gguf" ] && [ ! -f "$work/model.gguf.ckpt.tmp" ] && grep -q "^400," "$work/log/train.csv" 2>/dev/null || \
  run train --model "$work/init.gguf" --data "$work/shards" --steps 400 --batch 8 --seq 512 --lr 1e-3 --warmup 40 \
      --eval-every 100 --checkpoint-every 50 --seed 1 -t 2 --resume --out "$work/model.gguf" --log "$work/log"

echo "model: $work/model.gguf; held-out text: $work/heldout.txt; calibration text: $work/calib.txt" >&2
