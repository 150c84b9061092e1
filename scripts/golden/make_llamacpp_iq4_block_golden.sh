#!/usr/bin/env bash
# Prints the SHA-256 of llama.cpp's IQ4_NL / IQ4_XS blocks for jllm-tensor's GoldenQuantizeTest:
# compiles scripts/golden/iq4_blocks.c (a harness calling ggml_quantize_chunk and the type traits'
# to_float of an already-built libggml-base; this script neither fetches nor builds llama.cpp) and
# hashes what it writes. LLAMA_SRC: the llama.cpp checkout (for ggml/include), LLAMA_BIN: its
# build/bin with libggml-base.so. Run from the repository root; paste the output into the test.
set -euo pipefail
: "${LLAMA_SRC:?set LLAMA_SRC to a llama.cpp source tree}"
: "${LLAMA_BIN:?set LLAMA_BIN to a llama.cpp build/bin directory with libggml-base.so}"
tmp=$(mktemp -d)
gcc -O2 -o "$tmp/iq4_blocks" scripts/golden/iq4_blocks.c -I"$LLAMA_SRC/ggml/include" -L"$LLAMA_BIN" -lggml-base -lm -Wl,-rpath,"$LLAMA_BIN"
"$tmp/iq4_blocks" "$tmp"
echo "llama.cpp $(git -C "$LLAMA_SRC" rev-parse --short=9 HEAD 2>/dev/null || echo '?')"
for f in "$tmp"/*.bin; do printf '%s %s\n' "$(basename "$f" .bin)" "$(sha256sum "$f" | cut -d' ' -f1)"; done
rm -rf "$tmp"
