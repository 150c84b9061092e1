#!/usr/bin/env python3
"""Builds the data-cleaning benchmark corpus: one document per line, the fixture corpora
(shared/fixtures/corpora) mixed and repeated up to the target size. Nothing here is committed
output; the corpus is regenerated locally.

usage: make_corpus.py SHARED_CORPORA_DIR OUT.txt SIZE_MB
"""
import json, os, random, sys

root, out, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
docs = []
def poems(path):
    for p in json.load(open(path, encoding='utf-8')):
        docs.append(''.join(p.get('paragraphs', [])))
for f in ['ci.song.0.json', 'ci.song.1000.json', 'ci.song.2000.json', 'poet.tang.0.json', 'poet.tang.1000.json', 'poet.tang.2000.json']:
    poems(os.path.join(root, 'chinese-poetry', f))
# Song ci are short: also three per line, so that the 100–800 rule keeps some
song = [d for d in docs[:3000]]
docs += [''.join(song[i:i + 3]) for i in range(0, len(song) - 3, 3)]
for line in open(os.path.join(root, 'llamafactory', 'c4_demo.jsonl'), encoding='utf-8'):
    docs.append(json.loads(line)['text'].replace('\n', ' '))
for line in open(os.path.join(root, 'llamafactory', 'wiki_demo.txt'), encoding='utf-8'):
    docs.append(line.strip())
for f in ['alpaca_zh_demo.json', 'alpaca_en_demo.json']:
    for r in json.load(open(os.path.join(root, 'llamafactory', f), encoding='utf-8')):
        docs.append((r['instruction'] + ' ' + r['input'] + ' ' + r['output']).replace('\n', ' '))
shake = open(os.path.join(root, 'tinyshakespeare', 'input.txt'), encoding='utf-8').read().split('\n\n')
docs += [s.replace('\n', ' ') for s in shake]
fortunes = os.path.join(root, 'fortunes-zh-GPL', 'chinese')  # GPL: local runs only, never committed
if os.path.exists(fortunes):
    docs += [d.replace('\n', ' ') for d in open(fortunes, encoding='utf-8', errors='replace').read().split('\n%\n')]
docs = [d for d in docs if d.strip()]
rnd = random.Random(1)
target = size_mb * 1_000_000
written = 0
with open(out, 'w', encoding='utf-8') as o:
    while written < target:
        d = rnd.choice(docs)
        # vary repeats a little (a number at the end) so that exact dedup keeps ~half
        if rnd.random() < 0.5:
            d = d + ' ' + str(rnd.randrange(1000000))
        line = d + '\n'
        o.write(line)
        written += len(line.encode('utf-8'))
print(f'{out}: {written / 1e6:.0f} MB, {len(docs)} distinct source documents')
