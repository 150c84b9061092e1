#!/usr/bin/env bash
# Records llama.cpp's llama-quantize output (per-tensor type + sha256) for a deterministic random
# model written by `jllm init`, into testdata/golden/llamacpp-quantize.json. QuantizeGoldenTest
# rewrites the same model in Java, quantizes it with jllm and must produce the same bytes.
# Needs an already-built llama-quantize: LLAMA_QUANTIZE=/path/to/llama-quantize (this script does
# not fetch or build llama.cpp). Run from the repository root.
set -euo pipefail
: "${LLAMA_QUANTIZE:?set LLAMA_QUANTIZE to a llama-quantize binary}"
tmp=$(mktemp -d)
./jllm init --arch llama --dim 256 --hidden 512 --layers 8 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 \
  --std 0.08 --seed 11 "$tmp/m.gguf" >/dev/null
ver=$("$LLAMA_QUANTIZE" --help 2>&1 | head -1 || true)
{
  echo '{'
  echo ' "source": "llama.cpp llama-quantize (commit c392e50) on the model below; hashes by scripts/golden/gguf_tensor_hashes.py",'
  echo ' "model": "jllm init --arch llama --dim 256 --hidden 512 --layers 8 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 11 (F32)",'
  echo ' "types": {'
  first=1
  for t in Q8_0 Q4_0 Q4_1 Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K; do
    "$LLAMA_QUANTIZE" "$tmp/m.gguf" "$tmp/$t.gguf" "$t" >/dev/null 2>&1
    [ $first = 1 ] || echo ','
    first=0
    printf '  "%s": ' "$t"
    python3 scripts/golden/gguf_tensor_hashes.py "$tmp/$t.gguf" | sed 's/^/  /' | sed '1s/^  //'
  done
  echo ' }'
  echo '}'
} > testdata/golden/llamacpp-quantize.json
rm -rf "$tmp"
echo "wrote testdata/golden/llamacpp-quantize.json"
