#!/usr/bin/env python3
"""Builds jllm eval run's committed evaluation sets from the licensed fixtures (Python 3 stdlib only).

    python3 testdata/eval/tasks/make_tasks.py ../shared/fixtures/eval testdata/eval/tasks

Writes, byte-identical on every run (fixed seeds, sorted output):
  zh-factual-qa.jsonl  200 Chinese factual questions: 175 CMRC 2018 dev questions with the passage
                       sentences around the answer (CC BY-SA 4.0, Cui et al. 2019; small sample with
                       attribution) and 25 BELLE eval_set "open qa" questions with short reference
                       answers (LianjiaTech/BELLE; small sample)
  en-truthfulqa.jsonl  200 TruthfulQA questions (Apache-2.0, Lin et al. 2022) with the best answer and
                       the correct answers as references
  mmlu/test, mmlu/dev  an MMLU slice (MIT, Hendrycks et al. 2021): 4 subjects x the first 10 test
                       questions, and each subject's 5 dev questions for k-shot
The task files (*.yaml) beside them are written by hand. See testdata/PROVENANCE.md.
"""
import csv
import json
import os
import random
import sys

SENT_END = "。！？；"


def snippet(context, start, end, lo=60, hi=200):
    """The sentence holding context[start:end], widened by whole sentences to at least lo characters, at most hi."""
    a = start
    while a > 0 and context[a - 1] not in SENT_END:
        a -= 1
    b = end
    while b < len(context) and context[b - 1] not in SENT_END:
        b += 1
    while b - a < lo:
        if a > 0:
            a -= 1
            while a > 0 and context[a - 1] not in SENT_END:
                a -= 1
        elif b < len(context):
            b += 1
            while b < len(context) and context[b - 1] not in SENT_END:
                b += 1
        else:
            break
    if b - a > hi:  # keep the answer, cut around it
        a = max(a, end - hi // 2)
        b = min(b, a + hi)
    return context[a:b].strip()


def cmrc(src, n, seed):
    data = json.load(open(os.path.join(src, "cmrc2018", "cmrc2018_dev.squad.json"), encoding="utf-8"))
    candidates = []
    for art in data["data"]:
        for para in art["paragraphs"]:
            ctx = para["context"]
            for qa in para["qas"]:
                first = qa["answers"][0]
                t, s = first["text"].strip(), first["answer_start"]
                if not t or len(t) > 12 or ctx[s:s + len(first["text"])] != first["text"]:
                    continue
                refs = []
                for a in qa["answers"]:
                    x = a["text"].strip()
                    if x and x not in refs:
                        refs.append(x)
                candidates.append((para["id"], qa["id"], qa["question"].strip(), snippet(ctx, s, s + len(first["text"])), refs))
                break  # one question per passage
    picked = sorted(random.Random(seed).sample(candidates, n), key=lambda c: c[1])
    return [{"id": "cmrc2018-" + qid, "source": "cmrc2018", "passage": "材料：" + snip + "\n", "question": q, "answers": refs}
            for _, qid, q, snip, refs in picked]


def belle(src, n, seed):
    rows = [json.loads(l) for l in open(os.path.join(src, "belle-eval", "eval_set.json"), encoding="utf-8")]
    cands = [(i, r) for i, r in enumerate(rows)
             if r["class"] == "open qa" and 0 < len(r["std_answer"]) <= 40 and len(r["question"]) <= 80 and "\n" not in r["std_answer"]]
    picked = sorted(random.Random(seed).sample(cands, n), key=lambda c: c[0])
    return [{"id": "belle-%04d" % i, "source": "belle-eval", "passage": "", "question": r["question"].strip(), "answers": [r["std_answer"].strip()]}
            for i, r in picked]


def truthfulqa(src, n, seed):
    with open(os.path.join(src, "truthfulqa", "TruthfulQA.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    idx = sorted(random.Random(seed).sample(range(len(rows)), n))
    out = []
    for i in idx:
        r = rows[i]
        refs = [r["Best Answer"].strip()]
        for a in r["Correct Answers"].split(";"):
            a = a.strip()
            if a and a not in refs:
                refs.append(a)
        out.append({"id": "truthfulqa-%03d" % i, "category": r["Category"], "question": r["Question"].strip(), "answers": refs})
    return out


MMLU_SUBJECTS = ["conceptual_physics", "elementary_mathematics", "management", "world_religions"]


def mmlu(src, dst, per_subject):
    for split, suffix, count in (("test", "_test.csv", per_subject), ("dev", "_dev.csv", None)):
        os.makedirs(os.path.join(dst, "mmlu", split), exist_ok=True)
        for s in MMLU_SUBJECTS:
            with open(os.path.join(src, "mmlu", "data", split, s + suffix), encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
            rows = rows[:count] if count else rows
            with open(os.path.join(dst, "mmlu", split, s + suffix), "w", encoding="utf-8", newline="") as f:
                csv.writer(f, lineterminator="\n").writerows(rows)


def write_jsonl(path, items):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")


def main():
    src, dst = sys.argv[1], sys.argv[2]
    write_jsonl(os.path.join(dst, "zh-factual-qa.jsonl"), cmrc(src, 175, 2018) + belle(src, 25, 2023))
    write_jsonl(os.path.join(dst, "en-truthfulqa.jsonl"), truthfulqa(src, 200, 817))
    mmlu(src, dst, 10)


if __name__ == "__main__":
    main()
