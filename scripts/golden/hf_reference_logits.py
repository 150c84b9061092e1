#!/usr/bin/env python3
"""PyTorch reference forward for the Hugging Face checkpoints jllm exports (llama, qwen2, qwen3).

transformers is not installed here, so this is the transformers modelling code written out for
the three architectures (LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM, eager attention,
float32): RMSNorm, rotate-half RoPE with rope_scaling llama3 as transformers'
_compute_llama3_parameters, GQA, SwiGLU, q/k/v biases (qwen2), per-head q/k RMSNorm (qwen3), tied
or separate lm_head. Safetensors are read by hand (numpy), so nothing of jllm is used.

    python3 scripts/golden/hf_reference_logits.py OUT.json NAME=HF_DIR...

writes {"tokens": [...], "models": {NAME: [[logit per vocab] per position]}} for the fixed token ids below.
"""
import json, math, struct, sys, glob, os
import numpy as np
import torch

TOKENS = [0, 5, 17, 42, 99, 150, 201, 255, 33, 77, 120, 260, 299, 7, 64, 128]


def load(d):
    out = {}
    for f in sorted(glob.glob(os.path.join(d, '*.safetensors'))):
        b = open(f, 'rb').read()
        n = struct.unpack('<Q', b[:8])[0]
        h = json.loads(b[8:8 + n])
        for k, v in h.items():
            if k == '__metadata__':
                continue
            s, e = v['data_offsets']
            raw = b[8 + n + s:8 + n + e]
            if v['dtype'] == 'F32':
                a = np.frombuffer(raw, '<f4')
            elif v['dtype'] == 'F16':
                a = np.frombuffer(raw, '<f2').astype(np.float32)
            elif v['dtype'] == 'BF16':
                a = (np.frombuffer(raw, '<u2').astype(np.uint32) << 16).view(np.float32)
            else:
                raise ValueError(v['dtype'])
            out[k] = torch.tensor(a.reshape(v['shape']).copy())
    return out


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def inv_freq(c, dim):
    base = c.get('rope_theta', 10000.0)
    f = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    rs = c.get('rope_scaling')
    if rs and rs.get('rope_type', rs.get('type')) == 'llama3':
        factor, low, high, old = rs['factor'], rs['low_freq_factor'], rs['high_freq_factor'], rs['original_max_position_embeddings']
        low_w, high_w = old / low, old / high
        wavelen = 2 * math.pi / f
        f_l = torch.where(wavelen > low_w, f / factor, f)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * f_l / factor + smooth * f_l
        medium = ~(wavelen < high_w) * ~(wavelen > low_w)
        f = torch.where(medium, smoothed, f_l)
    elif rs and rs.get('rope_type', rs.get('type')) == 'linear':
        f = f / rs['factor']
    return f


def forward(d, tokens):
    c = json.load(open(os.path.join(d, 'config.json')))
    W = load(d)
    arch = c['model_type']
    nh, nkv, D = c['num_attention_heads'], c['num_key_value_heads'], c['hidden_size']
    hd = c.get('head_dim') or D // nh
    eps = c['rms_norm_eps']
    T = len(tokens)
    x = W['model.embed_tokens.weight'][torch.tensor(tokens)]
    pos = torch.arange(T).float()
    freqs = pos[:, None] * inv_freq(c, hd)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((T, T), float('-inf')).triu(1)
    for l in range(c['num_hidden_layers']):
        p = f'model.layers.{l}.'
        h = rms(x, W[p + 'input_layernorm.weight'], eps)
        def lin(name, v):
            y = v @ W[p + name + '.weight'].T
            if (p + name + '.bias') in W:
                y = y + W[p + name + '.bias']
            return y
        q = lin('self_attn.q_proj', h).view(T, nh, hd).transpose(0, 1)
        k = lin('self_attn.k_proj', h).view(T, nkv, hd).transpose(0, 1)
        v = lin('self_attn.v_proj', h).view(T, nkv, hd).transpose(0, 1)
        if arch == 'qwen3':
            q = rms(q, W[p + 'self_attn.q_norm.weight'], eps)
            k = rms(k, W[p + 'self_attn.k_norm.weight'], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=0)
        v = v.repeat_interleave(nh // nkv, dim=0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd) + mask, dim=-1)
        o = (att @ v).transpose(0, 1).reshape(T, nh * hd)
        x = x + o @ W[p + 'self_attn.o_proj.weight'].T
        h = rms(x, W[p + 'post_attention_layernorm.weight'], eps)
        g = h @ W[p + 'mlp.gate_proj.weight'].T
        u = h @ W[p + 'mlp.up_proj.weight'].T
        x = x + (torch.nn.functional.silu(g) * u) @ W[p + 'mlp.down_proj.weight'].T
    x = rms(x, W['model.norm.weight'], eps)
    head = W.get('lm_head.weight', W['model.embed_tokens.weight'])
    return (x @ head.T).tolist()


if __name__ == '__main__':
    torch.set_grad_enabled(False)
    out = {"source": "scripts/golden/hf_reference_logits.py (PyTorch %s, float32, eager) on directories written by `jllm convert testdata/hf-tiny/NAME X.gguf --outtype f32 && jllm export X.gguf DIR`" % torch.__version__,
           "tokens": TOKENS, "models": {}}
    for arg in sys.argv[2:]:
        name, d = arg.split('=', 1)
        out["models"][name] = [[round(v, 7) for v in row] for row in forward(d, TOKENS)]
    json.dump(out, open(sys.argv[1], 'w'))
