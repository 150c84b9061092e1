#!/usr/bin/env bash
# Records llama.cpp's llama-quantize output (per-tensor type + sha256) for deterministic random
# models written by `jllm init`, into testdata/golden/llamacpp-quantize.json. QuantizeGoldenTest
# rewrites the same models in Java, quantizes them with jllm and must produce the same bytes.
# Model 0 has every row length a multiple of 256; model 1 has --hidden 320, so ffn_down rows are
# 320 long and the K-quants fall back as llama.cpp does (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0).
# Needs an already-built llama-quantize: LLAMA_QUANTIZE=/path/to/llama-quantize (this script does
# not fetch or build llama.cpp). JLLM overrides the launcher (default ./jllm). Run from the repository root.
set -euo pipefail
: "${LLAMA_QUANTIZE:?set LLAMA_QUANTIZE to a llama-quantize binary}"
jllm="${JLLM:-./jllm}"
tmp=$(mktemp -d)
models=(
  "--arch llama --dim 256 --hidden 512 --layers 8 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 11"
  "--arch llama --dim 256 --hidden 320 --layers 8 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 12"
)
{
  echo '{'
  echo ' "source": "llama.cpp llama-quantize (commit c392e50) on the models below; hashes by scripts/golden/gguf_tensor_hashes.py",'
  echo ' "models": ['
  for i in "${!models[@]}"; do
    # shellcheck disable=SC2086
    $jllm init ${models[$i]} "$tmp/m$i.gguf" >/dev/null
    [ "$i" = 0 ] || echo ' ,'
    echo ' {'
    echo "  \"model\": \"jllm init ${models[$i]} (F32)\","
    echo '  "types": {'
    first=1
    for t in Q8_0 Q4_0 Q4_1 Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K; do
      "$LLAMA_QUANTIZE" "$tmp/m$i.gguf" "$tmp/$i-$t.gguf" "$t" >/dev/null 2>&1
      [ $first = 1 ] || echo ','
      first=0
      printf '   "%s": ' "$t"
      python3 scripts/golden/gguf_tensor_hashes.py "$tmp/$i-$t.gguf" | sed 's/^/   /' | sed '1s/^   //'
    done
    echo '  }'
    echo ' }'
  done
  echo ' ]'
  echo '}'
} > testdata/golden/llamacpp-quantize.json
rm -rf "$tmp"
echo "wrote testdata/golden/llamacpp-quantize.json"
