#!/usr/bin/env bash
# Model D of docs/QUANTIZATION.md: a llama with 256-wide rows (so Q4_K_M is real Q4_K + Q6_K blocks)
# trained until it copies, which makes it sensitive to rounding the way real models are and the
# undertrained model A is not. Model A's ΔPPL under Q4_K_M was indistinguishable from zero, so no
# method's ratio meant anything; copying a span seen earlier hangs on sharp attention scores, and
# rounding the weights blurs them.
#
#   scripts/quant-model-copy.sh [WORK_DIR]     (default /tmp/jllm-quant-copy; ~45 min on 2 free cores, ~2 h at model E's shape)
#
# Then: scripts/quant-measure.sh WORK_DIR (jllm quant-report + llama-perplexity on the same files).
# Everything comes from the repository: the seeded copy-text generator (`jllm demo copy-text`: random
# spans over nine scripts repeated in place, with gaps, and key-value recall lines) and the English
# corpora of testdata (a fifth of the training mix, so the model also reads ordinary text).
#   WORK/heldout.txt  copy-text documents of another seed (never trained on) and every 15th wiki/C4 document
#   WORK/calib.txt    copy-text documents of a third seed and every 12th training text document
# JLLM overrides the launcher (default ./jllm); NICE (default 15) is its niceness; STEPS (default 1200); the shape:
# DIM (256), LAYERS (4), HEADS (4), FFN (768) — DIM=512 LAYERS=6 HEADS=8 FFN=1536 is model E (22.55 M; A's shape).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/tmp/jllm-quant-copy}"
jllm="${JLLM:-$root/jllm}"
nice_n="${NICE:-15}"
steps="${STEPS:-1200}"
dim="${DIM:-256}"; layers="${LAYERS:-4}"; heads="${HEADS:-4}"; ffn="${FFN:-768}"
mkdir -p "$work/data"
run() { echo "+ jllm $*" >&2; nice -n "$nice_n" $jllm "$@"; }

[ -f "$work/data/repeat.jsonl" ] || run demo copy-text --kinds repeat --count 40000 --seed 1 --out "$work/data/repeat.jsonl"
[ -f "$work/data/copy.jsonl" ] || run demo copy-text --count 40000 --seed 2 --out "$work/data/copy.jsonl"
[ -f "$work/data/held-copy.jsonl" ] || run demo copy-text --count 300 --seed 101 --out "$work/data/held-copy.jsonl"
[ -f "$work/data/calib-copy.jsonl" ] || run demo copy-text --count 300 --seed 102 --out "$work/data/calib-copy.jsonl"

if [ ! -f "$work/heldout.txt" ]; then
  python3 - "$root/testdata/corpora" "$work" <<'EOF'
import json, sys, os
src, work = sys.argv[1], sys.argv[2]
train, held = [], []
for i, line in enumerate(open(os.path.join(src, "clean/wiki_demo.txt"), encoding="utf-8")):
    if line.strip():
        (held if i % 15 == 14 else train).append(line.strip())
for i, line in enumerate(open(os.path.join(src, "clean/c4_demo.jsonl"), encoding="utf-8")):
    t = json.loads(line)["text"]
    (held if i % 15 == 14 else train).append(t)
docs = lambda f: [json.loads(l)["text"] for l in open(os.path.join(work, "data", f), encoding="utf-8")]
with open(os.path.join(work, "data", "text.jsonl"), "w", encoding="utf-8") as f:
    for t in train:
        f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
def interleave(a, b):  # round-robin, so that any prefix of perplexity chunks reads both kinds
    out = []
    for i in range(max(len(a), len(b))):
        out += a[i:i + 1] + b[i:i + 1]
    return out
with open(os.path.join(work, "heldout.txt"), "w", encoding="utf-8") as f:
    f.write("\n\n".join(interleave(held, docs("held-copy.jsonl"))) + "\n")
with open(os.path.join(work, "calib.txt"), "w", encoding="utf-8") as f:
    f.write("\n\n".join(interleave([train[i] for i in range(0, len(train), 12)], docs("calib-copy.jsonl"))) + "\n")
print(f"text: train {len(train)} documents, held out {len(held)}; heldout.txt {os.path.getsize(os.path.join(work, 'heldout.txt'))} bytes, "
      f"calib.txt {os.path.getsize(os.path.join(work, 'calib.txt'))} bytes")
EOF
fi

[ -f "$work/tokenizer.json" ] || run tokenizer train --input "$work/data/text.jsonl" --input "$work/data/copy.jsonl" --vocab-size 4096 \
    --pretokenizer qwen2 --special '<|endoftext|>' --out "$work/tokenizer.json" --threads 2

[ -f "$work/init.gguf" ] || run init "$work/init.gguf" --tokenizer "$work/tokenizer.json" \
    --bos-token '<|endoftext|>' --eos-token '<|endoftext|>' \
    --dim "$dim" --layers "$layers" --heads "$heads" --kv-heads "$heads" --ffn-dim "$ffn" --ctx 512 --tied-embeddings true --seed 1

for s in text repeat copy; do
  [ -f "$work/shards/$s-train-000.bin" ] || run tokenize-corpus --tokenizer "$work/init.gguf" --input "$work/data/$s.jsonl" \
      --source "$s" --val-fraction 0.02 --out "$work/shards"
done

[ -f "$work/model.gguf" ] && [ ! -f "$work/model.gguf.ckpt.tmp" ] && grep -q "^$steps," "$work/log/train.csv" 2>/dev/null || \
  run train --model "$work/init.gguf" --data "$work/shards" --mix repeat=2,copy=2,text=1 --steps "$steps" --batch 16 --seq 256 \
      --lr 2e-3 --min-lr-ratio 0.1 --warmup 50 --eval-every 200 --checkpoint-every 50 --seed 1 -t 2 --resume \
      --out "$work/model.gguf" --log "$work/log"

echo "model: $work/model.gguf; held-out text: $work/heldout.txt; calibration text: $work/calib.txt" >&2
