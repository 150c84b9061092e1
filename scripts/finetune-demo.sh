#!/bin/bash
# The fine-tuning acceptance run of docs/TRAINING.md, from the repository alone:
#   1. pretrain a small llama (1.9 M parameters, stories260K's 512-token vocabulary) with jllm train on
#      tinyshakespeare + the alpaca_en slice's text;
#   2. LoRA SFT on identity.json (name/author filled) + the alpaca en/zh slices, loss on answers only;
#   3. merge the adapter, and compare greedy answers: jllm --lora, the merged model, and (if
#      LLAMA_COMPLETION names a llama.cpp llama-completion binary) llama.cpp --lora.
# About 10 minutes on 2 cores. Output under $W (default /tmp/jllm-finetune-demo).
set -e
cd /work/main
W=${W:-/tmp/jllm-finetune-demo}; rm -rf $W; mkdir -p $W
python3 - "$W/alpaca.txt" <<'PY'
import json, sys
out=open(sys.argv[1],'w')
for f in ['testdata/sft/alpaca_en_demo.200.json']:
    for r in json.load(open(f)):
        out.write((r['instruction']+'\n'+(r['input']+'\n' if r['input'] else '')+r['output']).strip()+'\n\n')
PY
./jllm tokenize-corpus --tokenizer testdata/models/stories260K.gguf --input testdata/corpora/tinyshakespeare.txt --doc-separator '\n\n' --val-fraction 0.02 --source shakespeare --out $W/shards 2>&1 | tail -1
./jllm tokenize-corpus --tokenizer testdata/models/stories260K.gguf --input $W/alpaca.txt --doc-separator '\n\n' --val-fraction 0.05 --source alpaca --out $W/shards 2>&1 | tail -1
./jllm init $W/init.gguf --dim 192 --layers 4 --heads 4 --kv-heads 4 --ffn-dim 512 --ctx 256 --tokenizer testdata/models/stories260K.gguf 2>&1 | tail -1
./jllm train --model $W/init.gguf --data $W/shards --mix shakespeare=1,alpaca=1 --steps 500 --batch 16 --seq 256 --lr 2e-3 --warmup 50 --eval-every 100 --checkpoint-every 0 --out $W/base.gguf --log $W/trainlog -t 2 2>&1 | grep -E "model:|step (100|200|300|400|500)/|done|validation"
./jllm finetune --model $W/base.gguf --mix identity=testdata/sft/identity.json:2,alpaca_en=testdata/sft/alpaca_en_demo.200.json:1,alpaca_zh=testdata/sft/alpaca_zh_demo.200.json:1 \
    --var name=Jllm --var author=JllmTeam --seq 256 --batch 8 --steps 300 --lr 3e-3 --lora-rank 16 --lora-targets all --eval-every 100 -t 2 \
    --out $W/adapter.gguf --log $W/ftlog 2>&1 | grep -E "LoRA|held-out|step (100|200|300)/|done"
cat $W/ftlog/val.csv
./jllm finetune merge $W/base.gguf $W/adapter.gguf $W/merged.gguf 2>&1 | grep merged
L=${LLAMA_COMPLETION:-}   # path of a llama.cpp llama-completion binary, to compare (optional)
for q in "Who are you?" "What is your name?" "Who developed you?" "Give three tips for staying healthy."; do
  P="<|im_start|>user
$q<|im_end|>
<|im_start|>assistant
"
  a=$(./jllm generate -m $W/base.gguf --lora $W/adapter.gguf -p "$P" -n 32 --temp 0 2>/dev/null; echo x); a=${a%x}; a=${a%$'\n'}
  b=$(./jllm generate -m $W/merged.gguf -p "$P" -n 32 --temp 0 2>/dev/null; echo x); b=${b%x}; b=${b%$'\n'}
  c=""
  [ -n "$L" ] && c=$($L -m $W/base.gguf --lora $W/adapter.gguf -p "$P" -n 32 --temp 0 --top-k 1 --seed 1 -no-cnv --no-display-prompt -t 2 2>/dev/null; echo x) && { c=${c%x}; c=${c%$'\n\n'}; c=${c% \[end of text\]$'\n'}; }
  echo "Q: $q"; echo "  jllm --lora : $(printf %q "$a")"; echo "  merged      : $(printf %q "$b")"; echo "  llama.cpp   : $(printf %q "$c")"
  if [ "$a" != "$b" ]; then echo "  DIFFERENT (adapter vs merged)"; elif [ -n "$L" ] && [ "$a" != "$c" ]; then echo "  DIFFERENT (llama.cpp)"; else echo "  SAME"; fi
done
