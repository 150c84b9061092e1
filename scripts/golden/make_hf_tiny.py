#!/usr/bin/env python3
"""Writes tiny Hugging Face checkpoints (one directory per architecture variant) for jllm convert/export tests.

Safetensors are written by hand (8-byte little-endian header length, JSON header, raw row-major
little-endian data), so jllm's own writer is not the reference. Only numpy is needed.

    python3 scripts/golden/make_hf_tiny.py testdata/hf-tiny            # the committed tiny models
    python3 scripts/golden/make_hf_tiny.py /tmp/hf-1b --shape 1b        # a random Llama-3.2-1B-shape model (timing)

Variants: llama (untied lm_head, F32), llama-tied (tied embeddings, BF16), llama-rope3 (rope_scaling
llama3, F16), qwen2 (q/k/v biases, tied, BF16), qwen3 (q/k norms, tied, F32, two shards + index),
llama-spm (Llama 2 style: a SentencePiece tokenizer.model written here as protobuf, no tokenizer.json, F16).
Tokenizers: testdata/hf-tiny/tokenizers/{llama3,qwen2}.json (300-token byte-level BPEs trained by
`jllm tokenizer train` on testdata/corpora/tinystories_sample.txt); Llama's gets Llama 3's
TemplateProcessing post-processor (BOS first).
"""
import json, os, sys, shutil
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOK = os.path.join(HERE, '..', '..', 'testdata', 'hf-tiny', 'tokenizers')

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
LLAMA3 = ("{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")


def bf16_bytes(a):
    # round to nearest even, as torch's .bfloat16()
    u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype(np.uint16).tobytes()


def tensor_bytes(a, dtype):
    if dtype == 'F32':
        return a.astype('<f4').tobytes()
    if dtype == 'F16':
        return a.astype('<f2').tobytes()
    if dtype == 'BF16':
        return bf16_bytes(a)
    raise ValueError(dtype)


ELEM = {'F32': 4, 'F16': 2, 'BF16': 2}


def write_safetensors(path, tensors, dtype):
    """tensors: list of (name, shape, make) in file order; each array is made only when written (a 1B model never sits in memory)."""
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, shape, _ in tensors:
        n = ELEM[dtype] * int(np.prod(shape))
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(len(h).to_bytes(8, 'little'))
        f.write(h)
        for _, shape, make in tensors:
            a = make()
            assert a.shape == tuple(shape)
            f.write(tensor_bytes(a, dtype))


def weights(rng, c, arch, tied):
    """(name, shape, make) in file order; make() draws from rng, so arrays must be made in this order."""
    d, L, nh, nkv, hd, ff, V = c['hidden_size'], c['num_hidden_layers'], c['num_attention_heads'], c['num_key_value_heads'], c['head_dim'], c['intermediate_size'], c['vocab_size']
    def w(rows, cols):
        return ((rows, cols), lambda: (rng.standard_normal((rows, cols), dtype=np.float32) / np.sqrt(cols)).astype(np.float32))
    def norm(n):
        return ((n,), lambda: (1.0 + 0.1 * rng.standard_normal(n, dtype=np.float32)).astype(np.float32))
    def bias(n):
        return ((n,), lambda: 0.5 * rng.standard_normal(n, dtype=np.float32))
    out = [('model.embed_tokens.weight', (V, d), lambda: rng.standard_normal((V, d), dtype=np.float32))]
    for l in range(L):
        p = f'model.layers.{l}.'
        items = [('input_layernorm.weight', norm(d)), ('self_attn.q_proj.weight', w(nh * hd, d)), ('self_attn.k_proj.weight', w(nkv * hd, d)),
                 ('self_attn.v_proj.weight', w(nkv * hd, d)), ('self_attn.o_proj.weight', w(d, nh * hd))]
        if arch == 'qwen2':
            items += [('self_attn.q_proj.bias', bias(nh * hd)), ('self_attn.k_proj.bias', bias(nkv * hd)), ('self_attn.v_proj.bias', bias(nkv * hd))]
        if arch == 'qwen3':
            items += [('self_attn.q_norm.weight', norm(hd)), ('self_attn.k_norm.weight', norm(hd))]
        items += [('post_attention_layernorm.weight', norm(d)), ('mlp.gate_proj.weight', w(ff, d)),
                  ('mlp.up_proj.weight', w(ff, d)), ('mlp.down_proj.weight', w(d, ff))]
        out += [(p + n, shape, make) for n, (shape, make) in items]
    out.append(('model.norm.weight',) + norm(d))
    if not tied:
        out.append(('lm_head.weight',) + w(V, d))
    return out


def tokenizer_files(kind):
    tok = json.load(open(os.path.join(TOK, kind + '.json'), encoding='utf-8'))
    ids = {a['content']: a['id'] for a in tok['added_tokens']}
    if kind == 'llama3':
        tok['post_processor'] = {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [ids['<|begin_of_text|>']], "tokens": ["<|begin_of_text|>"]}}}]}
        cfg = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "chat_template": LLAMA3,
               "clean_up_tokenization_spaces": True, "model_max_length": 131072, "tokenizer_class": "PreTrainedTokenizerFast"}
        special = {"bos_token_id": ids['<|begin_of_text|>'], "eos_token_id": ids['<|eot_id|>']}
    else:
        cfg = {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "chat_template": CHATML,
               "add_prefix_space": False, "errors": "replace", "model_max_length": 32768, "tokenizer_class": "Qwen2Tokenizer"}
        special = {"bos_token_id": ids['<|endoftext|>'], "eos_token_id": ids['<|im_end|>']}
    return tok, cfg, special


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb_len(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def spm_model():
    """A SentencePiece ModelProto written by hand: <unk>, <s>, </s>, 256 byte pieces, then the Llama-3 test
    tokenizer's pieces turned into SentencePiece form ('Ġ' → '▁', byte-level chars → UTF-8), score −rank."""
    tok = json.load(open(os.path.join(TOK, 'llama3.json'), encoding='utf-8'))
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    dec = {chr(c): b for b, c in zip(bs, cs)}
    pieces = [('<unk>', 0.0, 2), ('<s>', 0.0, 3), ('</s>', 0.0, 3)] + [('<0x%02X>' % i, 0.0, 6) for i in range(256)]
    seen = {p for p, _, _ in pieces} | {a['content'] for a in tok['added_tokens']}  # Llama 3's special tokens are not pieces here
    for t, i in sorted(tok['model']['vocab'].items(), key=lambda kv: kv[1]):
        try:
            text = bytes(dec[c] for c in t).decode('utf-8')
        except (KeyError, UnicodeDecodeError):
            continue
        text = text.replace(' ', '\u2581')
        if text and text not in seen and text.isprintable():
            seen.add(text)
            pieces.append((text, -float(len(pieces)), 1))
    body = b''.join(pb_len(1, pb_len(1, p.encode('utf-8')) + varint(2 << 3 | 5) + np.float32(sc).tobytes() + varint(3 << 3) + varint(ty))
                    for p, sc, ty in pieces)
    # trainer_spec: model_type BPE (2), vocab_size, byte_fallback (field 35) — sentencepiece refuses byte pieces without it
    body += pb_len(2, varint(3 << 3) + varint(2) + varint(4 << 3) + varint(len(pieces)) + varint(35 << 3) + varint(1))
    body += pb_len(3, pb_len(1, b'identity') + varint(3 << 3) + varint(1) + varint(4 << 3) + varint(0))  # normalizer_spec: add_dummy_prefix, keep whitespace
    return body, len(pieces)


def make(out, name, arch, dtype, tied=False, rope3=False, shards=1, shape=None, seed=0, spm=False):
    rng = np.random.default_rng(seed)
    kind = 'llama3' if arch == 'llama' else 'qwen2'
    tok, tcfg, special = tokenizer_files(kind)
    V = len(tok['model']['vocab']) if shape is None else shape['vocab_size']
    if spm:
        model_bytes, V = spm_model()
        tok = None
        tcfg = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                "chat_template": "{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}",
                "legacy": False, "tokenizer_class": "LlamaTokenizer"}
        special = {"bos_token_id": 1, "eos_token_id": 2}
    c = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
         "intermediate_size": 128, "vocab_size": V}
    if shape:
        c.update(shape)
    hf_arch = {'llama': 'LlamaForCausalLM', 'qwen2': 'Qwen2ForCausalLM', 'qwen3': 'Qwen3ForCausalLM'}[arch]
    config = {"architectures": [hf_arch], "model_type": arch, "hidden_act": "silu", "attention_bias": arch == 'qwen2',
              "max_position_embeddings": 256, "rms_norm_eps": 1e-5 if arch == 'llama' else 1e-6,
              "rope_theta": 500000.0 if arch == 'llama' else 1000000.0, "tie_word_embeddings": tied,
              "torch_dtype": {'F32': 'float32', 'F16': 'float16', 'BF16': 'bfloat16'}[dtype], **c, **special}
    if arch == 'qwen2':
        config.pop('head_dim')  # Qwen2 configs derive it
    if rope3:
        config["rope_scaling"] = {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                  "original_max_position_embeddings": 64, "rope_type": "llama3"}
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    ts = weights(rng, c, arch, tied)
    if shards == 1:
        write_safetensors(os.path.join(d, 'model.safetensors'), ts, dtype)
    else:
        per = (len(ts) + shards - 1) // shards
        wm = {}
        for s in range(shards):
            fn = f'model-{s + 1:05d}-of-{shards:05d}.safetensors'
            part = ts[s * per:(s + 1) * per]
            write_safetensors(os.path.join(d, fn), part, dtype)
            wm.update({n: fn for n, _, _ in part})
        total = sum(ELEM[dtype] * int(np.prod(shape)) for _, shape, _ in ts)
        json.dump({"metadata": {"total_size": total}, "weight_map": wm}, open(os.path.join(d, 'model.safetensors.index.json'), 'w'), indent=2)
    json.dump(config, open(os.path.join(d, 'config.json'), 'w'), indent=2)
    if tok is not None:
        json.dump(tok, open(os.path.join(d, 'tokenizer.json'), 'w', encoding='utf-8'), ensure_ascii=False)
    else:
        open(os.path.join(d, 'tokenizer.model'), 'wb').write(model_bytes)
    json.dump(tcfg, open(os.path.join(d, 'tokenizer_config.json'), 'w'), indent=2)
    json.dump({"bos_token_id": special["bos_token_id"], "eos_token_id": special["eos_token_id"], "do_sample": True,
               "temperature": 0.6, "top_p": 0.9}, open(os.path.join(d, 'generation_config.json'), 'w'), indent=2)


if __name__ == '__main__':
    out = sys.argv[1]
    if '--shape' in sys.argv:
        # Llama 3.2 1B's shape (vocab cut to the test tokenizer's ids + padding to 128256 rows)
        make(out, 'llama-1b', 'llama', 'BF16', tied=True, rope3=True, shards=2,
             shape={"hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
                    "head_dim": 64, "intermediate_size": 8192, "vocab_size": 128256})
    else:
        make(out, 'llama', 'llama', 'F32', seed=1)
        make(out, 'llama-tied', 'llama', 'BF16', tied=True, seed=2)
        make(out, 'llama-rope3', 'llama', 'F16', rope3=True, seed=3)
        make(out, 'qwen2', 'qwen2', 'BF16', tied=True, seed=4)
        make(out, 'qwen3', 'qwen3', 'F32', tied=True, shards=2, seed=5)
        make(out, 'llama-spm', 'llama', 'F16', spm=True, seed=6)
