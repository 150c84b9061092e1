#!/usr/bin/env python3
"""Chat dialogues (JSONL, OpenAI "messages") as plain text, one "role: content" line per message, a blank line between
dialogues: held-out and calibration text for perplexity and quantization of a chat model (perplexity does not parse
control tokens, so ChatML markers would be read as plain characters). Used for model B of docs/QUANTIZATION.md:

  python3 scripts/dialogues-to-text.py WORK/data/heldout-d1.jsonl WORK/data/heldout-d2.jsonl > QWORK/heldout.txt
  python3 scripts/dialogues-to-text.py --limit 3000 WORK/data/dialogues.jsonl > QWORK/calib.txt
"""
import argparse
import json
import sys

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("files", nargs="+", help="JSONL files with a messages array per line")
ap.add_argument("--limit", type=int, default=0, help="the first N dialogues of each file (0: all)")
a = ap.parse_args()
out = []
for path in a.files:
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if a.limit and i >= a.limit:
                break
            try:
                msgs = json.loads(line)["messages"]
            except (ValueError, KeyError) as e:
                sys.exit(f"{path}:{i + 1}: not a JSON object with a messages array ({e})")
            out.append("\n".join(f"{m['role']}: {m['content']}" for m in msgs))
sys.stdout.write("\n\n".join(out) + "\n")
