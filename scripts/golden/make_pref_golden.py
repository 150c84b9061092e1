#!/usr/bin/env python3
"""Golden numbers for preference tuning in jllm-train (dev.jllm.train.pref), from PyTorch in float64.

Reuses the trainer's own PyTorch references in jllm-train/src/test/resources/torch: make_golden.py (model
layout, base weights, RMSNorm, RoPE) and make_lora_golden.py (PEFT LoRA on chosen linears, its tensor order).
A tiny llama with a LoRA adapter (A and B both non-zero, so the policy differs from its base) scores a few
preference pairs (prompt + chosen answer, prompt + rejected answer, random tokens, different lengths, each
sequence in its own row padded at the end).

Cases (each NAME.bin + NAME.json in jllm-train/src/test/resources/torch/):
  pref_dpo_sigmoid   DPO, sigmoid loss, beta 0.1; reference = the base with the adapter off
  pref_dpo_smooth    DPO, sigmoid loss, beta 0.5, label smoothing 0.1 (cDPO)
  pref_dpo_ipo       IPO, beta 0.5, log-probabilities averaged over the answer tokens (as TRL does for IPO)
  pref_rm_bt         reward model: a scalar head (w, b) on the final hidden state (after the output norm) of
                     each sequence's last token, Bradley-Terry loss -log sigmoid(s_chosen - s_rejected)
Every loss is the mean over the pairs. TRL's formulas (trl/trainer/dpo_trainer.py dpo_loss):
  logits = (pi_c - pi_r) - (ref_c - ref_r); sigmoid: -logsig(beta*logits)*(1-ls) - logsig(-beta*logits)*ls;
  ipo: (logits - 1/(2*beta))**2; rewards = beta * (pi - ref).

NAME.bin (little-endian): float32 base weights (LlamaLayout order), float32 LoRA A/B (LoRA order),
[pref_rm_bt: float32 head w (dim), float32 head b (1)], float64 gradients of the loss w.r.t. every A and B,
[pref_rm_bt: float64 gradients of w and b].
NAME.json: config, pairs (chosen/rejected token ids, prompt lengths), loss, per-pair policy/reference log-probs
(or scores), TRL's metrics, and self_check (finite differences on a few adapter entries).

Run (Debian: apt-get install python3-torch python3-numpy), from the repository root:
    /usr/bin/python3 scripts/golden/make_pref_golden.py     # CI never runs it; the outputs are committed
"""
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_DIR = os.path.join(HERE, "..", "..", "jllm-train", "src", "test", "resources", "torch")
sys.path.insert(0, TORCH_DIR)
import make_golden as mg  # noqa: E402  (sets the float64 default dtype)
import make_lora_golden as mlg  # noqa: E402
import torch  # noqa: E402

F = torch.nn.functional


def hidden_and_logits(cfg, w, lora, s, tokens):
    """Final hidden states after the output norm (B, T, C) and logits (B, T, V); causal attention, positions 0..T-1."""
    B, T = tokens.shape
    C, NH, NKV, HD, eps = cfg["dim"], cfg["heads"], cfg["kv_heads"], cfg["head_dim"], cfg["eps"]
    cos, sin = mg.rope_tables(T, HD, cfg["rope_theta"])
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = w["token_embd.weight"][tokens]
    for l in range(cfg["layers"]):
        p = f"blk.{l}."
        h = mg.rmsnorm(x, w[p + "attn_norm.weight"], eps)
        q = mg.rope(mlg.linear(h, w, lora, s, p + "attn_q.weight").view(B, T, NH, HD), cos, sin).transpose(1, 2)
        k = mg.rope(mlg.linear(h, w, lora, s, p + "attn_k.weight").view(B, T, NKV, HD), cos, sin).transpose(1, 2)
        v = mlg.linear(h, w, lora, s, p + "attn_v.weight").view(B, T, NKV, HD).transpose(1, 2)
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HD)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, NH * HD)
        x = x + mlg.linear(y, w, lora, s, p + "attn_output.weight")
        h = mg.rmsnorm(x, w[p + "ffn_norm.weight"], eps)
        g = F.silu(mlg.linear(h, w, lora, s, p + "ffn_gate.weight")) * mlg.linear(h, w, lora, s, p + "ffn_up.weight")
        x = x + mlg.linear(g, w, lora, s, p + "ffn_down.weight")
    x = mg.rmsnorm(x, w["output_norm.weight"], eps)
    out = w["token_embd.weight"] if cfg["tied"] else w["output.weight"]
    return x, x @ out.T


def make_pairs(cfg, shapes, seed):
    """shapes: (prompt, chosen answer, rejected answer) lengths; the prompt is shared, token 1 first (a BOS)."""
    rng = np.random.RandomState(seed)
    pairs = []
    for p, c, r in shapes:
        prompt = [1] + rng.randint(2, cfg["vocab"], size=p - 1).tolist()
        pairs.append(dict(chosen=prompt + rng.randint(2, cfg["vocab"], size=c).tolist(), chosen_prompt=p,
                          rejected=prompt + rng.randint(2, cfg["vocab"], size=r).tolist(), rejected_prompt=p))
    return pairs


def rows(pairs):
    seqs, prompts = [], []
    for pr in pairs:
        seqs += [pr["chosen"], pr["rejected"]]
        prompts += [pr["chosen_prompt"], pr["rejected_prompt"]]
    T = max(len(q) for q in seqs)
    tokens = torch.zeros(len(seqs), T, dtype=torch.long)
    for i, q in enumerate(seqs):
        tokens[i, :len(q)] = torch.tensor(q)
    return tokens, seqs, prompts


def seq_logps(logits, seqs, prompts, mean):
    lp = F.log_softmax(logits, -1)
    out = []
    for i, (q, p) in enumerate(zip(seqs, prompts)):
        t = torch.arange(p - 1, len(q) - 1)
        v = lp[i, t, torch.tensor(q[p:])].sum()
        out.append(v / (len(q) - p) if mean else v)
    return torch.stack(out)


def objective(case, cfg, wf, lora, s, head, pairs):
    tokens, seqs, prompts = rows(pairs)
    if case["kind"] == "bt":
        hid, _ = hidden_and_logits(cfg, wf, lora, s, tokens)
        last = torch.tensor([len(q) - 1 for q in seqs])
        sc = hid[torch.arange(len(seqs)), last] @ head["w"] + head["b"][0]
        d = sc[0::2] - sc[1::2]
        return -F.logsigmoid(d).mean(), dict(scores=sc.tolist())
    ipo = case["kind"] == "ipo"
    _, logits = hidden_and_logits(cfg, wf, lora, s, tokens)
    pol = seq_logps(logits, seqs, prompts, ipo)
    with torch.no_grad():
        _, rlogits = hidden_and_logits(cfg, wf, {}, s, tokens)
        ref = seq_logps(rlogits, seqs, prompts, ipo)
    pc, pr, rc, rr = pol[0::2], pol[1::2], ref[0::2], ref[1::2]
    h = (pc - pr) - (rc - rr)
    beta, ls = case["beta"], case.get("label_smoothing", 0.0)
    if ipo:
        loss = ((h - 1 / (2 * beta)) ** 2).mean()
    else:
        loss = (-F.logsigmoid(beta * h) * (1 - ls) - F.logsigmoid(-beta * h) * ls).mean()
    rwc, rwr = beta * (pc - rc).detach(), beta * (pr - rr).detach()
    metrics = {"rewards/chosen": float(rwc.mean()), "rewards/rejected": float(rwr.mean()),
               "rewards/accuracies": float((rwc > rwr).double().mean()), "rewards/margins": float((rwc - rwr).mean()),
               "logps/chosen": float(pc.mean()), "logps/rejected": float(pr.mean())}
    return loss, dict(policy=pol.tolist(), reference=ref.tolist(), metrics=metrics)


def golden(name, case, cfg, shapes, seed):
    s = mlg.lora_scaling(cfg["lora"])
    cfg = dict(cfg, lora=dict(cfg["lora"], scaling=s))
    w = mg.make_weights(cfg, seed)
    wf = mlg.frozen(w)
    lora = mlg.make_lora(cfg, seed + 2)
    rng = np.random.RandomState(seed + 5)
    head = {"w": torch.tensor(0.3 * rng.standard_normal(cfg["dim"]).astype(np.float32), dtype=torch.float32).to(torch.float64).requires_grad_(True),
            "b": torch.tensor(np.array([0.25], dtype=np.float32), dtype=torch.float32).to(torch.float64).requires_grad_(True)}
    pairs = make_pairs(cfg, shapes, seed + 1)
    loss, extra = objective(case, cfg, wf, lora, s, head, pairs)
    loss.backward()
    lnames = [n for n, *_ in mlg.lora_layout(cfg)]
    bt = case["kind"] == "bt"
    with open(os.path.join(TORCH_DIR, name + ".bin"), "wb") as f:
        for n, _ in mg.layout(cfg):
            f.write(w[n].detach().to(torch.float32).numpy().astype("<f4").tobytes())
        for n in lnames:
            f.write(lora[n].detach().to(torch.float32).numpy().astype("<f4").tobytes())
        if bt:
            for k in ("w", "b"):
                f.write(head[k].detach().to(torch.float32).numpy().astype("<f4").tobytes())
        for n in lnames:
            f.write(lora[n].grad.numpy().astype("<f8").tobytes())
        if bt:
            for k in ("w", "b"):
                f.write(head[k].grad.numpy().astype("<f8").tobytes())
    # self-check: central differences on a few adapter entries
    worst = 0.0
    for n in lnames[:2]:
        for idx in [(0, 0), (1, 1)]:
            with torch.no_grad():
                old = float(lora[n][idx])
                eps = 1e-6
                lora[n][idx] = old + eps
                up, _ = objective(case, cfg, wf, lora, s, head, pairs)
                lora[n][idx] = old - eps
                dn, _ = objective(case, cfg, wf, lora, s, head, pairs)
                lora[n][idx] = old
            fd = (float(up) - float(dn)) / (2 * eps)
            g = float(lora[n].grad[idx])
            worst = max(worst, abs(fd - g) / max(1e-12, float(lora[n].grad.abs().max())))
    meta = dict(config=cfg, case=case, seed=seed, lora_tensors=[dict(name=n, shape=list(sh)) for n, sh, *_ in mlg.lora_layout(cfg)],
                pairs=pairs, loss=float(loss), self_check=worst, torch_version=torch.__version__, **extra)
    with open(os.path.join(TORCH_DIR, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(name, "loss", float(loss), "self-check", worst, extra.get("metrics", ""))


if __name__ == "__main__":
    base = dict(vocab=64, dim=32, layers=2, heads=4, kv_heads=2, head_dim=8, hidden=64, eps=1e-5, rope_theta=10000.0, tied=False,
                lora=dict(rank=4, alpha=8.0, targets=["q", "v"], rslora=False))
    every = dict(base, tied=True, lora=dict(rank=2, alpha=4.0, targets=list(mlg.TARGET_ORDER), rslora=True))
    shapes = [(4, 5, 7), (6, 3, 3), (3, 8, 2)]
    golden("pref_dpo_sigmoid", dict(kind="sigmoid", beta=0.1), base, shapes, 2024)
    golden("pref_dpo_smooth", dict(kind="sigmoid", beta=0.5, label_smoothing=0.1), every, shapes, 77)
    golden("pref_dpo_ipo", dict(kind="ipo", beta=0.5), base, shapes, 99)
    golden("pref_rm_bt", dict(kind="bt"), every, shapes, 555)
