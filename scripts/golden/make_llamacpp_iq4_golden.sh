#!/usr/bin/env bash
# Records llama.cpp's llama-quantize output for IQ4_NL and IQ4_XS (per-tensor type + SHA-256) into
# testdata/golden/llamacpp-quantize-iq4.json, for QuantizeIq4GoldenTest:
#   models 0 and 1: those of make_llamacpp_quantize_golden.sh (model 1 has 320-long ffn_down rows:
#     IQ4_XS falls back to IQ4_NL there), each without and with the committed imatrix
#     testdata/golden/imatrix/llamacpp-m{0,1}.imatrix.gguf (llama-quantize --imatrix);
#   model 2: model 0 with one KV head (4 query heads per KV head: attn_v gets Q5_K), without imatrix.
# Needs already-built llama.cpp tools: LLAMA_BIN=/path/to/llama.cpp/build/bin (llama-quantize, and
# llama-imatrix only for its --version; this script does not
# fetch or build llama.cpp). JLLM overrides the launcher (default ./jllm). Run from the repository root.
set -euo pipefail
: "${LLAMA_BIN:?set LLAMA_BIN to a llama.cpp build/bin directory with llama-quantize}"
jllm="${JLLM:-./jllm}"
tmp=$(mktemp -d)
commit=$("$LLAMA_BIN/llama-imatrix" --version 2>&1 | grep -o "commit [0-9a-f]*" | head -1 | cut -d" " -f2 || true)
models=(
  "--arch llama --dim 256 --hidden 512 --layers 8 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 11"
  "--arch llama --dim 256 --hidden 320 --layers 8 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 12"
  "--arch llama --dim 256 --hidden 512 --layers 8 --heads 4 --kv-heads 1 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 11"
)
imatrix=(llamacpp-m0.imatrix.gguf llamacpp-m1.imatrix.gguf "")
{
  echo '{'
  echo " \"source\": \"llama.cpp ${commit:-?} llama-quantize [--imatrix FILE] IN OUT TYPE on the models below; hashes by scripts/golden/gguf_tensor_hashes.py\","
  echo ' "models": ['
  for i in "${!models[@]}"; do
    # shellcheck disable=SC2086
    $jllm init ${models[$i]} "$tmp/m$i.gguf" >/dev/null 2>&1
    [ "$i" = 0 ] || echo ' ,'
    echo ' {'
    echo "  \"model\": \"jllm init ${models[$i]} (F32)\","
    [ -z "${imatrix[$i]}" ] || echo "  \"imatrix\": \"imatrix/${imatrix[$i]}\","
    echo '  "types": {'
    first=1
    for t in IQ4_NL IQ4_XS; do
      variants=("")
      [ -z "${imatrix[$i]}" ] || variants+=("${imatrix[$i]}")
      for im in "${variants[@]}"; do
        if [ -n "$im" ]; then
          "$LLAMA_BIN/llama-quantize" --imatrix "testdata/golden/imatrix/$im" "$tmp/m$i.gguf" "$tmp/q.gguf" "$t" >/dev/null 2>&1
          key="$t+imatrix"
        else
          "$LLAMA_BIN/llama-quantize" "$tmp/m$i.gguf" "$tmp/q.gguf" "$t" >/dev/null 2>&1
          key="$t"
        fi
        [ $first = 1 ] || echo ','
        first=0
        printf '   "%s": ' "$key"
        python3 scripts/golden/gguf_tensor_hashes.py "$tmp/q.gguf" | sed 's/^/   /' | sed '1s/^   //'
      done
    done
    echo '  }'
    echo ' }'
  done
  echo ' ]'
  echo '}'
} > testdata/golden/llamacpp-quantize-iq4.json
rm -rf "$tmp"
echo "wrote testdata/golden/llamacpp-quantize-iq4.json"
