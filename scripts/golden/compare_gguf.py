#!/usr/bin/env python3
"""Key-by-key and tensor-by-tensor comparison of two GGUF files (llama.cpp's convert_hf_to_gguf.py
output vs jllm convert's), printed as JSON: keys only in one file, keys whose values differ, tensors
only in one, tensors whose type/shape/bytes differ (with the largest absolute difference after
dequantization when the bytes differ).

    PYTHONPATH=LLAMA_CPP/gguf-py python3 scripts/golden/compare_gguf.py LLAMACPP.gguf JLLM.gguf
"""
import hashlib, json, sys
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def fields(r):
    out = {}
    for k, f in r.fields.items():
        if k.startswith('GGUF.'):
            continue
        v = f.contents()
        out[k] = v
    return out


def main(a, b):
    ra, rb = GGUFReader(a), GGUFReader(b)
    fa, fb = fields(ra), fields(rb)
    res = {"llamacpp": a, "jllm": b,
           "keys_only_llamacpp": sorted(set(fa) - set(fb)), "keys_only_jllm": sorted(set(fb) - set(fa)),
           "keys_equal": sorted(k for k in set(fa) & set(fb) if fa[k] == fb[k]),
           "keys_differ": {k: {"llamacpp": str(fa[k])[:200], "jllm": str(fb[k])[:200]} for k in sorted(set(fa) & set(fb)) if fa[k] != fb[k]}}
    ta = {t.name: t for t in ra.tensors}
    tb = {t.name: t for t in rb.tensors}
    res["tensors_only_llamacpp"] = sorted(set(ta) - set(tb))
    res["tensors_only_jllm"] = sorted(set(tb) - set(ta))
    same, differ = [], {}
    for n in sorted(set(ta) & set(tb)):
        x, y = ta[n], tb[n]
        if x.tensor_type != y.tensor_type or list(x.shape) != list(y.shape):
            differ[n] = {"llamacpp": [x.tensor_type.name, [int(s) for s in x.shape]], "jllm": [y.tensor_type.name, [int(s) for s in y.shape]]}
        elif bytes(x.data.tobytes()) != bytes(y.data.tobytes()):
            dx = dequantize(x.data, x.tensor_type).astype(np.float64)
            dy = dequantize(y.data, y.tensor_type).astype(np.float64)
            differ[n] = {"type": x.tensor_type.name, "max_abs_diff": float(np.abs(dx - dy).max()),
                         "elements_differing": int((dx != dy).sum()), "elements": int(dx.size)}
        else:
            same.append(n)
    res["tensors_identical"] = len(same)
    res["tensors_differ"] = differ
    res["tensors_sha256_llamacpp"] = hashlib.sha256(b''.join(ta[n].data.tobytes() for n in sorted(ta))).hexdigest()
    print(json.dumps(res, indent=1, default=str))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
