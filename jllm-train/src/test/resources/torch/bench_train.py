#!/usr/bin/env python3
"""PyTorch CPU side of the training-speed comparison in docs/PERFORMANCE.md ("Training").

The same llama model as jllm's TrainSpeedProbe / `jllm train` (RMSNorm, RoPE, causal attention, SwiGLU,
tied output), fp32, AdamW, forward + backward + step; prints tokens/s after warm-up steps.
    usage: bench_train.py DIM LAYERS HEADS FFN VOCAB SEQ BATCH THREADS STEPS [LORA_RANK LORA_TARGETS]
With LORA_RANK (e.g. 8 q,v or 8 all): the base is frozen and every targeted nn.Linear gets a LoRA
branch written as PEFT writes it (lora_B(lora_A(x)) * alpha/r, no dropout), AdamW on A and B only.
Run with OpenBLAS (see docs/ANCHORS: Debian's reference BLAS is 10-20x slower), e.g.
    LD_LIBRARY_PATH=/tmp/openblas/root/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 \
        /usr/bin/python3 bench_train.py 384 6 6 1024 4096 256 8 2 6
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.w, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w


def rope(x, cos, sin):  # x (B, nh, T, hd), adjacent pairs
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, d, nh, ffn):
        super().__init__()
        self.nh = nh
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.gate, self.up = nn.Linear(d, ffn, bias=False), nn.Linear(d, ffn, bias=False)
        self.down = nn.Linear(ffn, d, bias=False)

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        h = self.n1(x)
        q, k, v = (m(h).view(B, T, self.nh, C // self.nh).transpose(1, 2) for m in (self.q, self.k, self.v))
        q, k = rope(q, cos, sin), rope(k, cos, sin)  # torch 1.13 has no fused scaled_dot_product_attention
        att = (q @ k.transpose(-2, -1)) * (1.0 / (C // self.nh) ** 0.5)
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        y = att @ v
        x = x + self.o(y.transpose(1, 2).reshape(B, T, C))
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class LoraLinear(nn.Module):
    """PEFT's LoRA Linear without dropout: base(x) + lora_B(lora_A(x)) * scaling, base frozen."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.base.weight.requires_grad_(False)
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


class Llama(nn.Module):
    def __init__(self, d, L, nh, ffn, V, T):
        super().__init__()
        self.emb = nn.Embedding(V, d)
        self.blocks = nn.ModuleList(Block(d, nh, ffn) for _ in range(L))
        self.norm = RMSNorm(d)
        hd = d // nh
        inv = 10000.0 ** (-torch.arange(0, hd, 2).float() / hd)
        ang = torch.arange(T).float()[:, None] * inv[None, :]
        self.register_buffer("cos", ang.cos())
        self.register_buffer("sin", ang.sin())

    def forward(self, idx, targets):
        x = self.emb(idx)
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        logits = self.norm(x) @ self.emb.weight.T
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    d, L, nh, ffn, V, T, B, threads, steps = map(int, sys.argv[1:10])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = Llama(d, L, nh, ffn, V, T)
    if len(sys.argv) > 10:
        r = int(sys.argv[10])
        names = ["q", "k", "v", "o", "gate", "up", "down"] if sys.argv[11] == "all" else sys.argv[11].split(",")
        for p in m.parameters():
            p.requires_grad_(False)
        for b in m.blocks:
            for nm in names:
                setattr(b, nm, LoraLinear(getattr(b, nm), r, 2.0 * r))
    trainable = [p for p in m.parameters() if p.requires_grad]
    print(f"trainable {sum(p.numel() for p in trainable)} parameters")
    opt = torch.optim.AdamW(trainable, lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    x = torch.randint(0, V, (B, T))
    y = torch.randint(0, V, (B, T))
    n = sum(p.numel() for p in m.parameters())
    rates = []
    for s in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = m(x, y)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if s >= 2:
            rates.append(B * T / dt)
        print(f"step {s} loss {loss.item():.4f} {B * T / dt:.0f} tok/s", flush=True)
    print(f"torch {torch.__version__} params {n / 1e6:.2f}M threads {threads}: median {sorted(rates)[len(rates) // 2]:.0f} tok/s "
          f"(best {max(rates):.0f})")


if __name__ == "__main__":
    main()
