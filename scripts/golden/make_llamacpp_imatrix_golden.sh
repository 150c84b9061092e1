#!/usr/bin/env bash
# Records llama.cpp's importance-matrix quantization for the two deterministic random models of
# make_llamacpp_quantize_golden.sh (jllm init, F32):
#   testdata/golden/imatrix/llamacpp-m{0,1}.imatrix.gguf   llama-imatrix -c 128 -b 128 on
#       testdata/corpora/tinystories_sample.txt (40 chunks), the file exactly as llama-imatrix wrote it
#   testdata/golden/llamacpp-quantize-imatrix.json         per-tensor type + SHA-256 of
#       llama-quantize --imatrix THAT_FILE for Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K
# ImatrixGoldenTest quantizes the same models with the same imatrix files in Java and must produce
# the same bytes; it also checks that jllm imatrix on the same text agrees with these files.
# Needs built llama.cpp tools: LLAMA_BIN=/path/to/llama.cpp/build/bin (llama-imatrix, llama-quantize;
# this script does not fetch or build llama.cpp). JLLM overrides the launcher (default ./jllm).
# Run from the repository root.
set -euo pipefail
: "${LLAMA_BIN:?set LLAMA_BIN to a llama.cpp build/bin directory with llama-imatrix and llama-quantize}"
jllm="${JLLM:-./jllm}"
tmp=$(mktemp -d)
mkdir -p testdata/golden/imatrix
cp testdata/corpora/tinystories_sample.txt "$tmp/tinystories_sample.txt"
commit=$("$LLAMA_BIN/llama-imatrix" --version 2>&1 | grep -o "commit [0-9a-f]*" | head -1 | cut -d" " -f2 || true)
models=(
  "--arch llama --dim 256 --hidden 512 --layers 8 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 11"
  "--arch llama --dim 256 --hidden 320 --layers 8 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 12"
)
{
  echo '{'
  echo " \"source\": \"llama.cpp ${commit:-?} llama-imatrix -c 128 -b 128 -f tinystories_sample.txt, then llama-quantize --imatrix on the models below; hashes by scripts/golden/gguf_tensor_hashes.py\","
  echo ' "models": ['
  for i in "${!models[@]}"; do
    # shellcheck disable=SC2086
    $jllm init ${models[$i]} "$tmp/m$i.gguf" >/dev/null 2>&1
    (cd "$tmp" && "$LLAMA_BIN/llama-imatrix" -m "m$i.gguf" -f tinystories_sample.txt -o "im$i.gguf" -c 128 -b 128 >/dev/null 2>&1)
    cp "$tmp/im$i.gguf" "testdata/golden/imatrix/llamacpp-m$i.imatrix.gguf"
    [ "$i" = 0 ] || echo ' ,'
    echo ' {'
    echo "  \"model\": \"jllm init ${models[$i]} (F32)\","
    echo "  \"imatrix\": \"imatrix/llamacpp-m$i.imatrix.gguf\","
    echo '  "types": {'
    first=1
    for t in Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K; do
      "$LLAMA_BIN/llama-quantize" --imatrix "$tmp/im$i.gguf" "$tmp/m$i.gguf" "$tmp/$i-$t.gguf" "$t" >/dev/null 2>&1
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
} > testdata/golden/llamacpp-quantize-imatrix.json
rm -rf "$tmp"
echo "wrote testdata/golden/llamacpp-quantize-imatrix.json and testdata/golden/imatrix/"
