#!/usr/bin/env python3
"""Golden numbers for LoRA fine-tuning over a frozen base in jllm-train, produced by PyTorch in float64.

Reuses make_golden.py (same directory) for the model layout, base weights, RMSNorm and RoPE; adds PEFT's
LoRA on chosen linear layers, sample packing (several samples per row, segment-restricted causal
attention, positions restarting at 0 in each sample) and padding.

LoRA (PEFT): an adapted linear y = x·Wᵀ (W (out, in)) becomes y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ, A (r, in), B (out, r),
s = alpha / r, or alpha / √r with rsLoRA. Every base tensor is frozen; only the A and B get gradients.
Targets: q=attn_q, k=attn_k, v=attn_v, o=attn_output, gate=ffn_gate, up=ffn_up, down=ffn_down. LoRA tensors
are ordered by layer, then q, k, v, o, gate, up, down (those present), A before B, and named as llama.cpp's
GGUF adapters: blk.N.attn_q.weight.lora_a, blk.N.attn_q.weight.lora_b.

For each config it writes NAME.bin (little-endian):
    float32 base weights, every tensor in jllm's GGUF layout order (LlamaLayout.tensors), as make_golden.py
    float32 initial LoRA A and B, in LoRA order (row-major, shapes (r, in) and (out, r))
    float64 gradients of the loss w.r.t. every A and B, same order
and NAME.json (config incl. "lora", tensor names/shapes, tokens, targets (-100 = ignored), positions,
segments (-1 = padding), loss, the losses / pre-clip gradient norms of 10 AdamW steps that update only
A and B with global-norm clipping over the LoRA gradients, and "self_check": the largest relative error of
the gradients/loss recomputed independently — finite differences, and the unpacked samples run one by one
through make_golden.forward with merged weights W + s·B·A).

Run (Debian bookworm: apt-get install python3-torch python3-numpy):
    /usr/bin/python3 make_lora_golden.py      # in this directory; CI never runs it, the outputs are committed
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_golden as mg  # noqa: E402  (sets the float64 default dtype)

TARGET_TENSOR = dict(q="attn_q", k="attn_k", v="attn_v", o="attn_output", gate="ffn_gate", up="ffn_up", down="ffn_down")
TARGET_ORDER = ["q", "k", "v", "o", "gate", "up", "down"]
PAD_TOKEN = 0
IGNORE = -100


def lora_scaling(lcfg):
    r, alpha = lcfg["rank"], lcfg["alpha"]
    return alpha / math.sqrt(r) if lcfg["rslora"] else alpha / r


def lora_layout(cfg):
    """(name, shape (rows, cols), base tensor name, 'a'|'b') in LoRA order."""
    shapes = dict(mg.layout(cfg))
    r = cfg["lora"]["rank"]
    out = []
    for l in range(cfg["layers"]):
        for t in TARGET_ORDER:
            if t not in cfg["lora"]["targets"]:
                continue
            base = f"blk.{l}.{TARGET_TENSOR[t]}.weight"
            o, i = shapes[base]
            out.append((base + ".lora_a", (r, i), base, "a"))
            out.append((base + ".lora_b", (o, r), base, "b"))
    return out


def make_lora(cfg, seed):
    """Small random A and B (B not zero, so that A gets a gradient), float32 values held in float64."""
    rng = np.random.RandomState(seed)
    return {name: torch.tensor((0.1 * rng.standard_normal(shape)).astype(np.float32), dtype=torch.float32)
            .to(torch.float64).requires_grad_(True) for name, shape, _, _ in lora_layout(cfg)}


def frozen(w):
    return {n: t.detach() for n, t in w.items()}


def linear(x, w, lora, s, name):
    y = x @ w[name].T
    if name + ".lora_a" in lora:
        y = y + s * ((x @ lora[name + ".lora_a"].T) @ lora[name + ".lora_b"].T)
    return y


def attention_mask(segments):
    """(B, 1, T, T) True where query t may read key u: u ≤ t, same segment; padding (-1) reads only itself."""
    B, T = segments.shape
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))[None]
    same = segments[:, :, None] == segments[:, None, :]
    real = (segments >= 0)[:, :, None]
    diag = torch.eye(T, dtype=torch.bool)[None]
    return (causal & same & (real | diag))[:, None]


def forward(cfg, w, lora, s, tokens, targets, positions, segments):
    """Mean cross-entropy over the non-ignored targets of a packed batch, LoRA on the adapted linears."""
    B, T = tokens.shape
    C, NH, NKV, HD, eps = cfg["dim"], cfg["heads"], cfg["kv_heads"], cfg["head_dim"], cfg["eps"]
    cos, sin = mg.rope_tables(T, HD, cfg["rope_theta"])  # (T, HD/2) rows for positions 0..T-1

    def rope(x):  # x (B, T, n, HD), each row rotated by its own positions
        return torch.cat([mg.rope(x[b:b + 1], cos[positions[b]], sin[positions[b]]) for b in range(B)])

    mask = attention_mask(segments)
    x = w["token_embd.weight"][tokens]
    for l in range(cfg["layers"]):
        p = f"blk.{l}."
        h = mg.rmsnorm(x, w[p + "attn_norm.weight"], eps)
        q = rope(linear(h, w, lora, s, p + "attn_q.weight").view(B, T, NH, HD)).transpose(1, 2)
        k = rope(linear(h, w, lora, s, p + "attn_k.weight").view(B, T, NKV, HD)).transpose(1, 2)
        v = linear(h, w, lora, s, p + "attn_v.weight").view(B, T, NKV, HD).transpose(1, 2)
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HD)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, NH * HD)
        x = x + linear(y, w, lora, s, p + "attn_output.weight")
        h = mg.rmsnorm(x, w[p + "ffn_norm.weight"], eps)
        g = torch.nn.functional.silu(linear(h, w, lora, s, p + "ffn_gate.weight")) * linear(h, w, lora, s, p + "ffn_up.weight")
        x = x + linear(g, w, lora, s, p + "ffn_down.weight")
    x = mg.rmsnorm(x, w["output_norm.weight"], eps)
    out = w["token_embd.weight"] if cfg["tied"] else w["output.weight"]
    logits = x @ out.T
    return torch.nn.functional.cross_entropy(logits.view(-1, cfg["vocab"]), targets.view(-1), ignore_index=IGNORE)


def make_batch(cfg, rows, seed):
    """rows: per batch row, a list of (sample length, prompt length); the rest of the row is padding.
    A sample is n+1 random tokens s: inputs s[:n], targets s[1:], the first `prompt` targets ignored."""
    rng = np.random.RandomState(seed)
    B, T = cfg["batch"], cfg["seq"]
    tokens = np.full((B, T), PAD_TOKEN, dtype=np.int64)
    targets = np.full((B, T), IGNORE, dtype=np.int64)
    positions = np.zeros((B, T), dtype=np.int64)
    segments = np.full((B, T), -1, dtype=np.int64)
    samples = []  # (row, start, length)
    for b, row in enumerate(rows):
        t0 = 0
        for seg, (n, prompt) in enumerate(row):
            s = rng.randint(0, cfg["vocab"], size=n + 1)
            tokens[b, t0:t0 + n] = s[:n]
            targets[b, t0:t0 + n] = s[1:]
            targets[b, t0:t0 + prompt] = IGNORE
            positions[b, t0:t0 + n] = np.arange(n)
            segments[b, t0:t0 + n] = seg
            samples.append((b, t0, n))
            t0 += n
        assert t0 <= T
    return [torch.tensor(a) for a in (tokens, targets, positions, segments)], samples


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def self_check(cfg, w, lora, s, batch, samples, loss, grads, rng):
    """Largest relative error of the loss and LoRA gradients computed other ways (returns a dict)."""
    tokens, targets, positions, segments = batch
    names = [n for n, *_ in lora_layout(cfg)]
    wf = frozen(w)
    out = {}

    # 1. finite differences (central, float64) on 3 random entries of every A and B
    h, worst = 1e-5, 0.0
    for n in names:
        g = grads[n]
        scale = float(g.abs().max())
        for _ in range(3):
            idx = tuple(int(rng.randint(0, d)) for d in g.shape)
            ld = {k: v.detach().clone() for k, v in lora.items()}
            ld[n][idx] += h
            lp = float(forward(cfg, wf, ld, s, tokens, targets, positions, segments))
            ld[n][idx] -= 2 * h
            lm = float(forward(cfg, wf, ld, s, tokens, targets, positions, segments))
            worst = max(worst, abs((lp - lm) / (2 * h) - float(g[idx])) / scale)
    out["finite_differences"] = worst

    # 2. every sample on its own through make_golden.forward (plain causal attention, positions 0..n-1)
    #    with merged weights W + s·B·A; the packed mean = Σ_samples (sample mean · its count) / total count
    la = {k: v.detach().clone().requires_grad_(True) for k, v in lora.items()}
    merged = dict(wf)
    for n, _, base, part in lora_layout(cfg):
        if part == "a":
            merged[base] = wf[base] + s * (la[base + ".lora_b"] @ la[base + ".lora_a"])
    cfg_plain = dict(cfg)
    total_n = int((targets != IGNORE).sum())
    total = 0
    for b, t0, n in samples:
        cfg_plain.update(batch=1, seq=n)
        tg = targets[b:b + 1, t0:t0 + n]
        cnt = int((tg != IGNORE).sum())
        total = total + mg.forward(cfg_plain, merged, tokens[b:b + 1, t0:t0 + n], tg) * cnt
    total = total / total_n
    total.backward()
    out["unpacked_merged_loss"] = abs(float(total) - loss) / loss
    out["unpacked_merged_grads"] = max(rel(la[n].grad, grads[n]) for n in names)

    # 3. padding is inert: other padding tokens and positions give the same loss and gradients
    pad = segments < 0
    if bool(pad.any()):
        tk, ps = tokens.clone(), positions.clone()
        tk[pad] = torch.tensor(rng.randint(0, cfg["vocab"], size=int(pad.sum())))
        ps[pad] = torch.tensor(rng.randint(0, cfg["seq"], size=int(pad.sum())))
        lb = {k: v.detach().clone().requires_grad_(True) for k, v in lora.items()}
        l2 = forward(cfg, wf, lb, s, tk, targets, ps, segments)
        l2.backward()
        out["padding_changed"] = max(abs(float(l2) - loss) / loss, max(rel(lb[n].grad, grads[n]) for n in names))
    return out


def golden(name, cfg, rows, seed, adamw):
    s = lora_scaling(cfg["lora"])
    cfg = dict(cfg, lora=dict(cfg["lora"], scaling=s))
    w = mg.make_weights(cfg, seed)
    wf = frozen(w)  # the base is frozen: no gradient is taken w.r.t. it
    lora = make_lora(cfg, seed + 2)
    batch, samples = make_batch(cfg, rows, seed + 1)
    tokens, targets, positions, segments = batch
    loss = forward(cfg, wf, lora, s, *batch)
    loss.backward()
    lnames = [n for n, *_ in lora_layout(cfg)]
    grads = {n: lora[n].grad.clone() for n in lnames}
    with open(name + ".bin", "wb") as f:
        for n, _ in mg.layout(cfg):
            f.write(w[n].detach().to(torch.float32).numpy().astype("<f4").tobytes())
        for n in lnames:
            f.write(lora[n].detach().to(torch.float32).numpy().astype("<f4").tobytes())
        for n in lnames:
            f.write(grads[n].numpy().astype("<f8").tobytes())

    checks = self_check(cfg, w, lora, s, batch, samples, float(loss), grads, np.random.RandomState(seed + 3))

    # 10 AdamW steps on the same batch, only A and B, all decayed (jllm's rule: not a norm, not the embedding)
    lora = make_lora(cfg, seed + 2)
    params = [lora[n] for n in lnames]
    opt = torch.optim.AdamW([{"params": params, "weight_decay": adamw["weight_decay"]}],
                            lr=adamw["lr"], betas=(adamw["beta1"], adamw["beta2"]), eps=adamw["eps"])
    losses, norms = [], []
    for _ in range(10):
        opt.zero_grad()
        l = forward(cfg, wf, lora, s, *batch)
        l.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, adamw["clip"])))
        opt.step()
        losses.append(float(l))

    meta = dict(config=cfg, seed=seed, lora_seed=seed + 2, batch_seed=seed + 1,
                tensors=[dict(name=n, shape=list(sh)) for n, sh in mg.layout(cfg)],
                lora_tensors=[dict(name=n, shape=list(sh), base=base) for n, sh, base, _ in lora_layout(cfg)],
                samples=[dict(row=b, start=t0, length=n) for b, t0, n in samples],
                tokens=tokens.flatten().tolist(), targets=targets.flatten().tolist(),
                positions=positions.flatten().tolist(), segments=segments.flatten().tolist(),
                n_targets=int((targets != IGNORE).sum()), loss=float(loss),
                adamw=adamw, step_losses=losses, step_grad_norms=norms,
                self_check=max(checks.values()), self_check_detail=checks, torch_version=torch.__version__)
    with open(name + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    print(name, "scaling", s, "loss", float(loss), "10-step losses", losses[0], "->", losses[-1],
          "grad norms", norms[0], "->", norms[-1], "self-check", checks)


if __name__ == "__main__":
    adamw = dict(lr=1e-2, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, clip=1.0)
    base = dict(vocab=64, dim=32, layers=2, heads=4, kv_heads=2, head_dim=8, hidden=64, eps=1e-5, rope_theta=10000.0,
                batch=2, seq=16)
    qv = dict(rank=4, alpha=8.0, targets=["q", "v"], rslora=False)
    every = dict(rank=2, alpha=4.0, targets=list(TARGET_ORDER), rslora=True)
    # row 0: two samples (7 and 9 tokens); row 1: one sample of 11 tokens, then 5 of padding
    golden("lora_tiny_untied_qv", dict(base, tied=False, packed=True, lora=qv), [[(7, 2), (9, 3)], [(11, 4)]], 1234, adamw)
    golden("lora_tiny_tied_all_rs", dict(base, tied=True, packed=True, lora=every), [[(10, 3), (6, 1)], [(9, 2)]], 4321, adamw)
    # no packing: one sample per row filling it, positions 0..T-1, segments all 0, no padding
    golden("lora_tiny_untied_qv_plain", dict(base, tied=False, packed=False, lora=qv), [[(16, 3)], [(16, 5)]], 1234, adamw)
