#!/usr/bin/env python3
"""Word and character lists for `jllm demo dialogues --split wild` (dev.jllm.sft.synth.Wild), from the
repository's own corpora:

  common-han.txt  the 2,500 most frequent Han characters (U+4E00..U+9FA5) of
                  testdata/corpora/cmrc2018-trial-contexts.jsonl (ties: lower code point first)
  common-en.txt   English words of 3+ letters from testdata/corpora/clean/wiki_demo.txt and c4_demo.jsonl
                  (lower-cased runs of a-z), ranks 101..3,100 by frequency (the 100 most frequent are
                  mostly function words; ties alphabetical)

Wild values drawn from them look like real words and names, so the model cannot tell a value to copy
from a value it has memorised by its look (docs/TRAINING.md). The generator removes the held-out
side's pieces and values when it loads them. Run from the repository root:
  python3 scripts/make_wild_lists.py
"""
import collections, json, re

out = "jllm-sft/src/main/resources/dev/jllm/sft/synth/"
han = collections.Counter()
for line in open("testdata/corpora/cmrc2018-trial-contexts.jsonl", encoding="utf-8"):
    for ch in json.loads(line)["text"]:
        if "\u4e00" <= ch <= "\u9fa5":
            han[ch] += 1
top = sorted(han.items(), key=lambda kv: (-kv[1], kv[0]))[:2500]
with open(out + "common-han.txt", "w", encoding="utf-8") as f:
    for i in range(0, len(top), 50):
        f.write("".join(c for c, _ in top[i:i + 50]) + "\n")

en = collections.Counter()
for line in open("testdata/corpora/clean/wiki_demo.txt", encoding="utf-8"):
    en.update(re.findall(r"[a-z]+", line.lower()))
for line in open("testdata/corpora/clean/c4_demo.jsonl", encoding="utf-8"):
    en.update(re.findall(r"[a-z]+", json.loads(line)["text"].lower()))
words = [w for w, _ in sorted(en.items(), key=lambda kv: (-kv[1], kv[0])) if len(w) >= 3][100:3100]
with open(out + "common-en.txt", "w", encoding="utf-8") as f:
    f.write("\n".join(words) + "\n")
print(f"{len(top)} Han characters (least frequent: {top[-1][1]} occurrences), {len(words)} English words")
