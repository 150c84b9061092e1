#!/usr/bin/env python3
"""Golden numbers for PPO's per-token arithmetic in jllm-train (dev.jllm.train.pref.Ppo), PyTorch float64.

TRL's PPOTrainer (v0.11) formulas, on random tokens: GAE (compute_advantages), whiten, the clipped policy
loss pg_loss = mean(max(-A*ratio, -A*clamp(ratio, 1-eps, 1+eps))) and the clipped value loss
vf_loss = 0.5*mean(max((v-R)^2, (clamp(v, v_old-eps_v, v_old+eps_v)-R)^2)), their clip fractions, and the
gradients d pg_loss / d logp_new and d vf_loss / d v by autograd.
Writes jllm-train/src/test/resources/torch/ppo_terms.json. Run: /usr/bin/python3 scripts/golden/make_ppo_golden.py
"""
import json
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "jllm-train", "src", "test", "resources", "torch", "ppo_terms.json")
rng = np.random.RandomState(12)
n = 24
gamma, lam, clip, vclip = 0.97, 0.9, 0.2, 0.2
rewards = torch.tensor(rng.standard_normal(n) * 0.3)
values = torch.tensor(rng.standard_normal(n) * 0.5)
# GAE as TRL's compute_advantages (one response of n tokens)
adv = torch.zeros(n)
last = 0.0
for t in reversed(range(n)):
    nv = values[t + 1] if t < n - 1 else 0.0
    delta = rewards[t] + gamma * nv - values[t]
    last = delta + gamma * lam * last
    adv[t] = last
returns = adv + values
white = (adv - adv.mean()) * torch.rsqrt(adv.var() + 1e-8)
logp_old = torch.tensor(-np.abs(rng.standard_normal(n)) * 2)
logp_new = (logp_old + torch.tensor(rng.standard_normal(n) * 0.3)).requires_grad_(True)
ratio = torch.exp(logp_new - logp_old)
pg1, pg2 = -white * ratio, -white * torch.clamp(ratio, 1 - clip, 1 + clip)
pg_loss = torch.max(pg1, pg2).mean()
pg_clipfrac = (pg2 > pg1).double().mean()
pg_loss.backward()
v_old = values
vpred = (values + torch.tensor(rng.standard_normal(n) * 0.4)).requires_grad_(True)
vclipped = torch.clamp(vpred, v_old - vclip, v_old + vclip)
vf1, vf2 = (vpred - returns) ** 2, (vclipped - returns) ** 2
vf_loss = 0.5 * torch.max(vf1, vf2).mean()
vf_clipfrac = (vf2 > vf1).double().mean()
vf_loss.backward()
L = lambda t: t.detach().tolist()
json.dump(dict(gamma=gamma, lam=lam, clip=clip, vclip=vclip, rewards=L(rewards), values=L(values), advantages=L(adv), returns=L(returns),
               whitened=L(white), logp_old=L(logp_old), logp_new=L(logp_new), pg_loss=float(pg_loss), pg_clipfrac=float(pg_clipfrac),
               d_logp_new=L(logp_new.grad), vpred=L(vpred), vf_loss=float(vf_loss), vf_clipfrac=float(vf_clipfrac), d_vpred=L(vpred.grad),
               torch_version=torch.__version__), open(OUT, "w"), indent=1)
print("pg_loss", float(pg_loss), "clipfrac", float(pg_clipfrac), "vf_loss", float(vf_loss), "vf_clipfrac", float(vf_clipfrac))
