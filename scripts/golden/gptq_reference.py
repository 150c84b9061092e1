#!/usr/bin/python3
"""GPTQ golden: the reference algorithm (IST-DASLab gptq.py `GPTQ.fasterquant` with its `Quantizer`,
as AutoGPTQ runs it, incl. AutoGPTQ's static groups under act-order) in PyTorch float64 on a small
deterministic weight matrix and calibration activations. Writes testdata/golden/gptq-reference.json;
GptqTest runs jllm's Gptq on the same inputs and must give the same quantized weights.

Run with Debian's python3-torch: /usr/bin/python3 scripts/golden/gptq_reference.py
Inputs come from a 64-bit LCG both sides implement, scaled to dyadic values (exact in float and double).
"""
import json, math, os, sys
import torch

torch.set_default_dtype(torch.float64)
MASK = (1 << 64) - 1


class Lcg:
    def __init__(self, seed):
        self.s = seed & MASK

    def next(self):  # Knuth's MMIX constants
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & MASK
        return self.s

    def uniform(self):  # integer in [-1000, 1000]
        return (self.next() >> 33) % 2001 - 1000


def inputs(rows, cols, n, seed):
    g = Lcg(seed)
    W = torch.tensor([[g.uniform() / 512.0 for _ in range(cols)] for _ in range(rows)])
    # columns of very different scale make act-order matter; column 5 is dead (always 0)
    X = torch.tensor([[0.0 if j == 5 else g.uniform() / 1024.0 * (1 + (j % 7)) for j in range(cols)] for _ in range(n)])
    return W, X


class Quantizer:  # gptq quant.py, perchannel=True, sym, mse=False
    def __init__(self, bits, sym):
        self.maxq = 2 ** bits - 1
        self.sym = sym

    def find_params(self, x):
        tmp = torch.zeros(x.shape[0])
        xmin = torch.minimum(x.min(1)[0], tmp)
        xmax = torch.maximum(x.max(1)[0], tmp)
        if self.sym:
            xmax = torch.maximum(torch.abs(xmin), xmax)
            tmp = xmin < 0
            if torch.any(tmp):
                xmin[tmp] = -xmax[tmp]
        tmp = (xmin == 0) & (xmax == 0)
        xmin[tmp] = -1
        xmax[tmp] = +1
        self.scale = (xmax - xmin) / self.maxq
        if self.sym:
            self.zero = torch.full_like(self.scale, (self.maxq + 1) / 2)
        else:
            self.zero = torch.round(-xmin / self.scale)
        self.scale = self.scale.reshape(-1, 1)
        self.zero = self.zero.reshape(-1, 1)

    def quantize(self, x):
        q = torch.clamp(torch.round(x / self.scale) + self.zero, 0, self.maxq)
        return self.scale * (q - self.zero)


def fasterquant(W, H, quantizer, blocksize, percdamp, groupsize, actorder):
    W = W.clone()
    H = H.clone()
    columns = W.shape[1]
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    groups = []
    if actorder:  # AutoGPTQ static_groups
        import copy
        for i in range(0, columns, groupsize):
            q = copy.deepcopy(quantizer)
            q.find_params(W[:, i:(i + groupsize)])
            groups.append(q)
        perm = torch.argsort(torch.diag(H), descending=True, stable=True)
        W = W[:, perm]
        H = H[perm][:, perm]
        invperm = torch.argsort(perm)
    Losses = torch.zeros_like(W)
    Q = torch.zeros_like(W)
    damp = percdamp * torch.mean(torch.diag(H))
    diag = torch.arange(columns)
    H[diag, diag] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    H = torch.linalg.cholesky(H, upper=True)
    Hinv = H
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Losses1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if not actorder:
                if (i1 + i) % groupsize == 0:
                    quantizer.find_params(W[:, (i1 + i):(i1 + i + groupsize)])
                qz = quantizer
            else:
                qz = groups[int(perm[i1 + i]) // groupsize]
            q = qz.quantize(w.unsqueeze(1)).flatten()
            Q1[:, i] = q
            Losses1[:, i] = (w - q) ** 2 / d ** 2
            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1
        Q[:, i1:i2] = Q1
        Losses[:, i1:i2] = Losses1 / 2
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    if actorder:
        Q = Q[:, invperm]
    return Q, float(torch.sum(Losses))


def main():
    rows, cols, n = 12, 48, 96
    W, X = inputs(rows, cols, n, 2024)
    H = 2 * X.t().matmul(X) / n
    cases = []
    for name, bits, sym, gsz, bs, act in [("asym4-g16-b32", 4, False, 16, 32, False),
                                          ("sym4-g16-b32-actorder", 4, True, 16, 32, True),
                                          ("asym3-g12-b8", 3, False, 12, 8, False)]:
        Q, loss = fasterquant(W, H, Quantizer(bits, sym), bs, 0.01, gsz, act)
        cases.append({"name": name, "bits": bits, "sym": sym, "groupsize": gsz, "blocksize": bs, "actorder": act,
                      "damp": 0.01, "loss": loss, "q": [[float(v) for v in row] for row in Q]})
    out = {"source": "scripts/golden/gptq_reference.py: IST-DASLab gptq.py fasterquant + Quantizer (AutoGPTQ static groups "
                     "under act-order), PyTorch " + torch.__version__ + " float64",
           "rows": rows, "cols": cols, "samples": n, "seed": 2024,
           "inputs": "LCG s = s*6364136223846793005 + 1442695040888963407 mod 2^64, u = (s >> 33) % 2001 - 1000; W[r][c] = u/512 "
                     "row-major, then X[t][c] = u/1024*(1 + c%7) (column 5 = 0, no draw); H = 2 XᵀX / n",
           "cases": cases}
    path = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "golden", "gptq-reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
