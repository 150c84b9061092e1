#!/usr/bin/env bash
# Records how llama.cpp reads its own IQ4 files, into testdata/golden/llamacpp-iq4-dequant.json for
# jllm-cli's Iq4LlamaCppTest. Per case (a model and a target type):
#   quantized    per-tensor type + SHA-256 of llama-quantize IN OUT TYPE
#   dequantized  the same of llama-quantize --allow-requantize OUT DEQ F32: every tensor decoded by
#                llama.cpp's own dequantize_row_* (ggml type traits to_float), written as F32
#   ppl          llama-perplexity -c 128 -b 128 -t 1 on the quantized file (final estimate and the
#                running value after each chunk; its matrix products quantize the activations to
#                Q8_0 / Q8_K first)
#   ppl_dequantized  the same on the dequantized F32 file (float activations, like jllm)
# Cases: stories260K (testdata/models, dim 64: IQ4_XS falls back to IQ4_NL, ffn_down's 172-long rows to
# F16) to IQ4_XS; a 2-layer `jllm init` model with 256-long rows to IQ4_NL and to IQ4_XS.
# Corpus: testdata/corpora/tinystories_sample.txt. llama-perplexity runs under `script -qc` because its
# logger drops the last lines when stdout is not a terminal.
# Needs already-built llama.cpp tools: LLAMA_BIN=/path/to/llama.cpp/build/bin (llama-quantize,
# llama-perplexity, llama-imatrix for --version; this script does not fetch or build llama.cpp).
# JLLM overrides the launcher (default ./jllm). Run from the repository root.
set -euo pipefail
: "${LLAMA_BIN:?set LLAMA_BIN to a llama.cpp build/bin directory}"
jllm="${JLLM:-./jllm}"
tmp=$(mktemp -d)
root=$(pwd)
commit=$("$LLAMA_BIN/llama-imatrix" --version 2>&1 | grep -o "commit [0-9a-f]*" | head -1 | cut -d" " -f2 || true)
init="--arch llama --dim 256 --hidden 512 --layers 2 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256 --std 0.08 --seed 11"
# shellcheck disable=SC2086
$jllm init $init "$tmp/init.gguf" >/dev/null 2>&1
cases=("testdata/models/stories260K.gguf|stories260K.gguf|IQ4_XS" "$tmp/init.gguf|jllm init $init (F32)|IQ4_NL" "$tmp/init.gguf|jllm init $init (F32)|IQ4_XS")
ppl() { # file → "final": x, "running": [...]
  (cd "$tmp" && script -qc "$LLAMA_BIN/llama-perplexity -m $1 -f $root/testdata/corpora/tinystories_sample.txt -c 128 -b 128 -t 1" /dev/null) > "$tmp/ppl.log" 2>&1
  python3 - "$tmp/ppl.log" <<'PY'
import re, sys
t = open(sys.argv[1], encoding='utf-8', errors='replace').read()
t = re.sub(r'\x1b\[[0-9;]*m', '', t)
final = re.search(r'Final estimate: PPL = ([\d.]+)', t).group(1)
running = re.findall(r'\[(\d+)\]([\d.]+),', t)
print('{"final": %s, "running": [%s]}' % (final, ', '.join(v for _, v in running)))
PY
}
{
  echo '{'
  echo " \"source\": \"llama.cpp ${commit:-?}: llama-quantize IN Q.gguf TYPE; llama-quantize --allow-requantize Q.gguf DEQ.gguf F32; llama-perplexity -m Q.gguf|DEQ.gguf -f tinystories_sample.txt -c 128 -b 128 -t 1; hashes by scripts/golden/gguf_tensor_hashes.py\","
  echo ' "cases": ['
  first=1
  for c in "${cases[@]}"; do
    IFS='|' read -r in label type <<<"$c"
    "$LLAMA_BIN/llama-quantize" "$in" "$tmp/q.gguf" "$type" >/dev/null 2>&1
    "$LLAMA_BIN/llama-quantize" --allow-requantize "$tmp/q.gguf" "$tmp/deq.gguf" F32 >/dev/null 2>&1
    [ $first = 1 ] || echo ' ,'
    first=0
    echo ' {'
    echo "  \"model\": \"$label\","
    echo "  \"type\": \"$type\","
    printf '  "quantized": '; python3 scripts/golden/gguf_tensor_hashes.py "$tmp/q.gguf" | sed 's/^/  /' | sed '1s/^  //'; echo '  ,'
    printf '  "dequantized": '; python3 scripts/golden/gguf_tensor_hashes.py "$tmp/deq.gguf" | sed 's/^/  /' | sed '1s/^  //'; echo '  ,'
    echo "  \"ppl\": $(ppl q.gguf),"
    echo "  \"ppl_dequantized\": $(ppl deq.gguf)"
    echo ' }'
  done
  echo ' ]'
  echo '}'
} > testdata/golden/llamacpp-iq4-dequant.json
rm -rf "$tmp"
python3 -c "import json; json.load(open('testdata/golden/llamacpp-iq4-dequant.json'))"
echo "wrote testdata/golden/llamacpp-iq4-dequant.json"
