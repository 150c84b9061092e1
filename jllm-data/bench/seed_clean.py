#!/usr/bin/env python3
"""The seed's cleaning script as ANCHORS.md describes it (single process): keep lines of 30–800
characters with 5 consecutive CJK characters and no "emoji" by a surrogate-range regex — which
never matches a decoded Python string. It is the speed reference, not a correct cleaner.

usage: seed_clean.py IN.txt OUT.txt
"""
import re, sys

cjk = re.compile(r'[\u4e00-\u9fff]{5,}')
emoji = re.compile(r'[\ud800-\udbff][\udc00-\udfff]')
kept = 0
with open(sys.argv[1], encoding='utf-8', errors='ignore') as f, open(sys.argv[2], 'w', encoding='utf-8') as out:
    for line in f:
        t = line.strip()
        if 30 <= len(t) <= 800 and cjk.search(t) and not emoji.search(t):
            out.write(t + '\n')
            kept += 1
print('kept', kept)
