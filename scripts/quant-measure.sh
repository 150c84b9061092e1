#!/usr/bin/env bash
# The quantization measurement of docs/QUANTIZATION.md on the real-weights model of
# scripts/quant-model.sh: jllm quant-report for Q4_0 and Q4_K_M × rtn, imatrix, gptq on the held-out
# text, then llama.cpp's llama-perplexity on the same jllm-quantized files (same text, -c, chunks)
# for the "llama.cpp agrees within 0.5%" check, and llama-perplexity on llama-quantize's F32 decoding of each file
# (float activations on both sides: equal to jllm's to ~1e-5 when the blocks are read alike).
#
#   scripts/quant-measure.sh WORK_DIR [MODEL]      (WORK_DIR as given to quant-model.sh; MODEL default WORK_DIR/model.gguf)
#
# LLAMA_BIN (optional): a llama.cpp build/bin with llama-perplexity. JLLM overrides the launcher.
# Times in the report are whatever the (shared, noisy) machine gave during the run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:?usage: quant-measure.sh WORK_DIR [MODEL]}"
model="${2:-$work/model.gguf}"
jllm="${JLLM:-$root/jllm}"
chunks="${CHUNKS:-30}"
out="$work/report"
if [ -z "${SKIP_REPORT:-}" ]; then # SKIP_REPORT=1: only the llama.cpp columns, for a report already in WORK_DIR/report
  nice -n "${NICE:-10}" $jllm quant-report -m "$model" -f "$work/heldout.txt" --calib "$work/calib.txt" --types Q4_0,Q4_K_M \
    --methods rtn,imatrix,gptq --out "$out" -c 512 --chunks "$chunks" --calib-tokens "${CALIB_TOKENS:-4096}" -t 2 2> "$out.log"
fi
# llama-perplexity's final PPL on a file, or "nan": this build sometimes exits before its log thread prints the last
# lines (also with -lv 4), so it is tried up to three times rather than failing the whole measurement
llama_ppl() {
  local v=""
  for _ in 1 2 3; do
    v=$("$LLAMA_BIN/llama-perplexity" -m "$1" -f "$work/heldout.txt" -c 512 -b 512 --chunks "$chunks" -t 2 -lv 4 < /dev/null 2>&1 \
        | grep -a -o "Final estimate: PPL = [0-9.]*" | grep -o "[0-9.]*$" || true)
    [ -n "$v" ] && break
  done
  echo "${v:-nan}"
}
if [ -n "${LLAMA_BIN:-}" ]; then
  {
    echo "| file | jllm PPL | llama-perplexity PPL | difference | llama-perplexity on llama-quantize's F32 dequantization | difference |"
    echo "|---|---|---|---|---|---|"
    python3 - "$out/report.json" <<'EOF' | while read -r f ppl; do
import json, sys
for r in json.load(open(sys.argv[1]))["rows"]:
    print(r["file"], r["ppl"])
EOF
      # -a: its output holds non-UTF-8 bytes, and grep would only say "binary file matches"; stdin closed: the loop reads it
      l=$(llama_ppl "$f")
      # the same file decoded to F32 by llama.cpp itself: its products then use float activations, as jllm's do, so
      # what is left between the two columns is llama.cpp's Q8_0/Q8_K rounding of the activations of quantized products
      deq="$out/.deq.f32.gguf"
      "$LLAMA_BIN/llama-quantize" --allow-requantize "$f" "$deq" F32 > /dev/null 2>&1
      d=$(llama_ppl "$deq")
      rm -f "$deq"
      python3 -c "import sys; a,b,c=float(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4]); print(f'| {sys.argv[1]} | {a:.4f} | {b:.4f} | {100*(a/b-1):+.2f}% | {c:.4f} | {100*(a/c-1):+.2f}% |')" \
        "$(basename "$f")" "$ppl" "$l" "$d"
    done
  } > "$out/llamacpp-ppl.md"
  cat "$out/llamacpp-ppl.md"
fi
cat "$out/report.md"
