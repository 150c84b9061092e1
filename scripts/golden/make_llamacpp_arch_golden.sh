#!/usr/bin/env bash
# Records llama.cpp's perplexity for deterministic random models of each architecture jllm runs
# (llama, qwen2 with QKV bias, qwen3 with q/k norms) into testdata/golden/llamacpp-archs.json.
# ArchitectureGoldenTest rebuilds the same models in Java and must agree within 0.1%.
# Needs an already-built llama-perplexity with qwen3 support (2025-05 or later):
# LLAMA_PERPLEXITY=/path/to/llama-perplexity (this script does not fetch or build llama.cpp).
set -euo pipefail
: "${LLAMA_PERPLEXITY:?set LLAMA_PERPLEXITY to a llama-perplexity binary}"
tmp=$(mktemp -d)
cp testdata/corpora/tinystories_sample.txt "$tmp/text.txt"
{
  echo '{'
  echo ' "source": "llama.cpp llama-perplexity -c 128 -b 128 on testdata/corpora/tinystories_sample.txt",'
  echo ' "model": "jllm init --arch ARCH --dim 256 --hidden 512 --layers 3 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 5 (F32)",'
  echo ' "ppl": {'
  first=1
  for arch in llama qwen2 qwen3; do
    ./jllm init --arch $arch --dim 256 --hidden 512 --layers 3 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 \
      --std 0.08 --seed 5 "$tmp/$arch.gguf" >/dev/null 2>&1
    ppl=$("$LLAMA_PERPLEXITY" -m "$tmp/$arch.gguf" -f "$tmp/text.txt" -c 128 -b 128 2>&1 | grep -o "Final estimate: PPL = [0-9.]*" | grep -o "[0-9.]*$")
    [ $first = 1 ] || echo ','
    first=0
    printf '  "%s": %s' "$arch" "$ppl"
  done
  echo
  echo ' }'
  echo '}'
} > testdata/golden/llamacpp-archs.json
rm -rf "$tmp"
echo "wrote testdata/golden/llamacpp-archs.json"
