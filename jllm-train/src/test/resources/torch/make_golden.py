#!/usr/bin/env python3
"""Golden numbers for jllm-train's gradient test (LlamaGoldenTest), produced by PyTorch.

Builds tiny LLaMA models (the engine's llama architecture: RMSNorm, RoPE on adjacent pairs, causal GQA,
SwiGLU, tied or untied output) written out by hand in float64 from float32 weights, so the reference is
exact to ~1e-15 and the Java fp32 result is compared with the truth, not with another fp32 rounding.
For each config it writes NAME.bin (little-endian):
    float32 weights, every tensor in jllm's GGUF layout order (LlamaLayout.tensors)
    float64 gradients of the mean cross-entropy, same order
and NAME.json (config, tensor names/shapes, tokens, targets with -100 = ignored, loss, and the losses of
10 AdamW steps with global-norm clipping).

Run (Debian bookworm: apt-get install python3-torch python3-numpy):
    /usr/bin/python3 make_golden.py      # in this directory; CI never runs it, the outputs are committed
"""
import json
import math

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def layout(cfg):
    """(name, shape in PyTorch order (out, in)) in LlamaLayout order."""
    C, V, H, QD, KVD = cfg["dim"], cfg["vocab"], cfg["hidden"], cfg["heads"] * cfg["head_dim"], cfg["kv_heads"] * cfg["head_dim"]
    t = [("token_embd.weight", (V, C))]
    for l in range(cfg["layers"]):
        p = f"blk.{l}."
        t += [(p + "attn_norm.weight", (C,)), (p + "attn_q.weight", (QD, C)), (p + "attn_k.weight", (KVD, C)),
              (p + "attn_v.weight", (KVD, C)), (p + "attn_output.weight", (C, QD)), (p + "ffn_norm.weight", (C,)),
              (p + "ffn_gate.weight", (H, C)), (p + "ffn_down.weight", (C, H)), (p + "ffn_up.weight", (H, C))]
    t.append(("output_norm.weight", (C,)))
    if not cfg["tied"]:
        t.append(("output.weight", (V, C)))
    return t


def make_weights(cfg, seed):
    rng = np.random.RandomState(seed)
    w = {}
    for name, shape in layout(cfg):
        if name.endswith("norm.weight"):
            a = 1.0 + 0.1 * rng.standard_normal(shape)
        else:
            a = 0.1 * rng.standard_normal(shape)
        w[name] = torch.tensor(a.astype(np.float32), dtype=torch.float32).to(torch.float64).requires_grad_(True)
    return w


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_tables(T, HD, base):
    half = HD // 2
    inv = np.array([np.float32(base ** (-2.0 * i / HD)) for i in range(half)], dtype=np.float32)
    ang = (np.arange(T, dtype=np.float32)[:, None] * inv[None, :]).astype(np.float32)  # float32 product, as Java
    return (torch.tensor(np.cos(ang.astype(np.float64)).astype(np.float32)).to(torch.float64),
            torch.tensor(np.sin(ang.astype(np.float64)).astype(np.float32)).to(torch.float64))


def rope(x, cos, sin):
    # x (B, T, nh, HD): pairs (2i, 2i+1) rotated by pos·θ_i (llama.cpp's LLAMA rope on GGUF-permuted q/k)
    B, T, nh, HD = x.shape
    xp = x.view(B, T, nh, HD // 2, 2)
    x0, x1 = xp[..., 0], xp[..., 1]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1).view(B, T, nh, HD)


def forward(cfg, w, tokens, targets):
    B, T = tokens.shape
    C, NH, NKV, HD, eps = cfg["dim"], cfg["heads"], cfg["kv_heads"], cfg["head_dim"], cfg["eps"]
    cos, sin = rope_tables(T, HD, cfg["rope_theta"])
    x = w["token_embd.weight"][tokens]                                  # (B, T, C)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["layers"]):
        p = f"blk.{l}."
        h = rmsnorm(x, w[p + "attn_norm.weight"], eps)
        q = rope((h @ w[p + "attn_q.weight"].T).view(B, T, NH, HD), cos, sin).transpose(1, 2)   # (B, NH, T, HD)
        k = rope((h @ w[p + "attn_k.weight"].T).view(B, T, NKV, HD), cos, sin).transpose(1, 2)  # (B, NKV, T, HD)
        v = (h @ w[p + "attn_v.weight"].T).view(B, T, NKV, HD).transpose(1, 2)
        k = k.repeat_interleave(NH // NKV, dim=1)                        # query head h reads kv head h // (NH/NKV)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HD)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, NH * HD)
        x = x + y @ w[p + "attn_output.weight"].T
        h = rmsnorm(x, w[p + "ffn_norm.weight"], eps)
        g = torch.nn.functional.silu(h @ w[p + "ffn_gate.weight"].T) * (h @ w[p + "ffn_up.weight"].T)
        x = x + g @ w[p + "ffn_down.weight"].T
    x = rmsnorm(x, w["output_norm.weight"], eps)
    out = w["token_embd.weight"] if cfg["tied"] else w["output.weight"]
    logits = x @ out.T
    return torch.nn.functional.cross_entropy(logits.view(-1, cfg["vocab"]), targets.view(-1), ignore_index=-100)


def golden(name, cfg, seed, adamw):
    w = make_weights(cfg, seed)
    rng = np.random.RandomState(seed + 1)
    B, T = cfg["batch"], cfg["seq"]
    tokens = torch.tensor(rng.randint(0, cfg["vocab"], size=(B, T)), dtype=torch.long)
    targets = torch.tensor(rng.randint(0, cfg["vocab"], size=(B, T)), dtype=torch.long)
    targets[0, :3] = -100                    # a masked prompt, as in supervised fine-tuning
    targets[B - 1, T - 1] = -100
    loss = forward(cfg, w, tokens, targets)
    loss.backward()
    names = [n for n, _ in layout(cfg)]
    with open(name + ".bin", "wb") as f:
        for n in names:
            f.write(w[n].detach().to(torch.float32).numpy().astype("<f4").tobytes())
        for n in names:
            f.write(w[n].grad.numpy().astype("<f8").tobytes())

    # 10 AdamW steps on the same batch: decay on matrices except the embedding, global-norm clipping
    w = make_weights(cfg, seed)
    decay = [w[n] for n in names if not n.endswith("norm.weight") and n != "token_embd.weight"]
    no_decay = [w[n] for n in names if n.endswith("norm.weight") or n == "token_embd.weight"]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": adamw["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=adamw["lr"], betas=(adamw["beta1"], adamw["beta2"]), eps=adamw["eps"])
    losses, norms = [], []
    for _ in range(10):
        opt.zero_grad()
        l = forward(cfg, w, tokens, targets)
        l.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_([w[n] for n in names], adamw["clip"])))
        opt.step()
        losses.append(float(l))
    meta = dict(config=cfg, seed=seed, tensors=[dict(name=n, shape=list(s)) for n, s in layout(cfg)],
                tokens=tokens.flatten().tolist(), targets=targets.flatten().tolist(), loss=float(loss),
                adamw=adamw, step_losses=losses, step_grad_norms=norms, torch_version=torch.__version__)
    with open(name + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    print(name, "loss", float(loss), "10-step losses", losses[0], "->", losses[-1])


if __name__ == "__main__":
    adamw = dict(lr=1e-3, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, clip=1.0)
    base = dict(vocab=64, dim=32, layers=2, heads=4, kv_heads=2, head_dim=8, hidden=48, eps=1e-5, rope_theta=10000.0,
                batch=2, seq=8)
    golden("llama_tiny_untied", dict(base, tied=False), 1234, adamw)
    golden("llama_tiny_tied", dict(base, tied=True, kv_heads=1), 4321, adamw)
