#!/usr/bin/env python3
"""Print {tensor name: [ggml type id, sha256 of its data]} for a GGUF file, as JSON.

A minimal, dependency-free GGUF reader (v2/v3, little-endian), independent of jllm's Java reader.
Used to record golden values from reference tools (llama.cpp's llama-quantize)."""
import hashlib, json, struct, sys

SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
BLOCK = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
         12: (256, 144), 13: (256, 176), 14: (256, 210), 20: (32, 18), 23: (256, 136), 30: (1, 2)}

def main(path):
    b = open(path, 'rb').read()
    pos = 0
    def take(fmt):
        nonlocal pos
        v = struct.unpack_from('<' + fmt, b, pos); pos += struct.calcsize('<' + fmt); return v[0]
    def string():
        nonlocal pos
        n = take('Q'); s = b[pos:pos + n].decode('utf-8', 'replace'); pos += n; return s
    def value(t):
        nonlocal pos
        if t == 8: return string()
        if t == 9:
            et = take('I'); n = take('Q'); return [value(et) for _ in range(n)]
        fmt = {0: 'B', 1: 'b', 2: 'H', 3: 'h', 4: 'I', 5: 'i', 6: 'f', 7: 'B', 10: 'Q', 11: 'q', 12: 'd'}[t]
        return take(fmt)
    assert b[:4] == b'GGUF'
    pos = 4
    version = take('I'); n_tensors = take('Q'); n_kv = take('Q')
    meta = {}
    for _ in range(n_kv):
        k = string(); meta[k] = value(take('I'))
    infos = []
    for _ in range(n_tensors):
        name = string(); nd = take('I'); dims = [take('Q') for _ in range(nd)]; t = take('I'); off = take('Q')
        infos.append((name, dims, t, off))
    align = meta.get('general.alignment', 32)
    data = (pos + align - 1) // align * align
    out = {}
    for name, dims, t, off in infos:
        n = 1
        for d in dims: n *= d
        bs, ts = BLOCK[t]
        size = n // bs * ts
        out[name] = [t, hashlib.sha256(b[data + off:data + off + size]).hexdigest()]
    return out

if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=1, sort_keys=True))
