#!/usr/bin/env bash
# Records llama-perplexity on a model whose vocabulary does not add BOS (tokenizer.ggml.add_bos_token false:
# the bundled models/jllm-chat.q8_0.gguf, jllm's byte-level BPE), into testdata/golden/llamacpp-ppl-nobos.json for
# jllm-cli's PerplexityNoBosTest. llama-perplexity replaces each chunk's first token with BOS only when the
# vocabulary adds one; this model keeps the text's own first token.
#   model   llama-quantize --allow-requantize models/jllm-chat.q8_0.gguf F32.gguf F32 (exact dequantization, so
#           the products use float activations on both sides, not llama.cpp's Q8_0-rounded ones)
#   ppl     llama-perplexity -m F32.gguf -f testdata/corpora/tinystories_sample.txt -c 256 -b 256 -t 2: the final
#           estimate and the running value after each chunk
# Needs already-built llama.cpp tools: LLAMA_BIN=/path/to/llama.cpp/build/bin (this script does not fetch or
# build llama.cpp). Run from the repository root. llama-perplexity runs under `script -qc` because its logger
# drops the last lines when stdout is not a terminal.
set -euo pipefail
: "${LLAMA_BIN:?set LLAMA_BIN to a llama.cpp build/bin directory}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$(pwd)
commit=$("$LLAMA_BIN/llama-perplexity" --version 2>&1 | grep -o "commit [0-9a-f]*" | head -1 | cut -d" " -f2 || true)
"$LLAMA_BIN/llama-quantize" --allow-requantize models/jllm-chat.q8_0.gguf "$tmp/f32.gguf" F32 > "$tmp/q.log" 2>&1
(cd "$tmp" && script -qc "$LLAMA_BIN/llama-perplexity -m $tmp/f32.gguf -f $root/testdata/corpora/tinystories_sample.txt -c 256 -b 256 -t 2" /dev/null) > "$tmp/ppl.log" 2>&1
python3 - "$tmp/ppl.log" "$commit" "$(sha256sum models/jllm-chat.q8_0.gguf | cut -d' ' -f1)" > testdata/golden/llamacpp-ppl-nobos.json <<'PY'
import json, re, sys
log = open(sys.argv[1], encoding="utf-8", errors="replace").read()
running = [float(x) for x in re.findall(r"\[\d+\]([\d.]+)", log)]
final = float(re.search(r"Final estimate: PPL = ([\d.]+)", log).group(1))
json.dump({
    "provenance": "llama.cpp commit " + sys.argv[2] + ": llama-quantize --allow-requantize models/jllm-chat.q8_0.gguf (sha256 "
                  + sys.argv[3] + ") F32, then llama-perplexity -f testdata/corpora/tinystories_sample.txt -c 256 -b 256 -t 2;"
                  " made by scripts/golden/make_llamacpp_ppl_nobos_golden.sh",
    "model_sha256": sys.argv[3], "ctx": 256, "final_ppl": final, "running_ppl": running}, sys.stdout, indent=1)
print()
PY
cat testdata/golden/llamacpp-ppl-nobos.json
