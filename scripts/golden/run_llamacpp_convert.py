#!/usr/bin/env python3
"""Runs llama.cpp's convert_hf_to_gguf.py (from a llama.cpp checkout, not part of jllm) on a model
directory, for scripts/golden/compare_gguf.py. One change: a BPE tokenizer whose check-string hash
is not in llama.cpp's table (the tiny tokenizers trained for testdata/hf-tiny) gets the
tokenizer.ggml.pre given as PRE instead of llama.cpp's refusal — the same fallback jllm convert
applies, so everything else is llama.cpp's own output.

    PYTHONPATH=LLAMA_CPP/gguf-py python3 scripts/golden/run_llamacpp_convert.py LLAMA_CPP PRE HF_DIR --outfile OUT.gguf [--outtype T]

Needs transformers, tokenizers, sentencepiece, safetensors and torch ≥ 2.1 (float8 dtypes).
"""
import sys

llama_cpp, pre = sys.argv[1], sys.argv[2]
sys.path.insert(0, llama_cpp)
sys.argv = [sys.argv[0]] + sys.argv[3:]
import convert_hf_to_gguf  # noqa: E402
from conversion import base  # noqa: E402

_orig = base.TextModel.get_vocab_base_pre


def _pre(self, tokenizer):
    try:
        return _orig(self, tokenizer)
    except NotImplementedError:
        return pre


base.TextModel.get_vocab_base_pre = _pre
convert_hf_to_gguf.main()
