#!/bin/bash
# The seed's Q12 of docs/TRAINING.md ("PPO's KL coefficient"), from the repository alone: the same PPO
# run on stories260K with --kl-coef 0.01, 0.1 and 0.5, three seeds each, reward = occurrences of
# "happy" in the 24-token continuation of 12 prompts that invite a feeling word; then the curves of
# all nine runs (docs/img/ppo-kl-coef.png) with jllm plot, the table of first/last numbers, and one
# continuation per prompt and seed from the base and from each seed-1 adapter, sampled as the
# rollouts are. About 15 minutes on 2 busy cores (~70 s a run). Output under $W (default /tmp/jllm-ppo-kl).
set -e
cd "$(dirname "$0")/.."
W=${W:-/tmp/jllm-ppo-kl}; mkdir -p $W
M=testdata/models/stories260K.gguf
python3 - $W/prompts.jsonl <<'PY'
import json, sys
ps = ["Lily was very", "Tom felt so", "The little dog was", "The girl was so", "Ben was very", "Mom was", "The cat felt",
      "Sue smiled and was", "They were all very", "The bird was", "Tim was so", "Anna felt very"]
open(sys.argv[1], "w").write("".join(json.dumps({"prompt": p}) + "\n" for p in ps))
PY
for s in 1 2 3; do for k in 0.01 0.1 0.5; do
  ./jllm ppo --model $M --data $W/prompts.jsonl --raw-prompts --reward keyword:happy --kl-coef $k --steps 30 --batch 12 --minibatch 4 \
    --ppo-epochs 2 --max-new-tokens 24 --lr 1e-3 --seed $s --out $W/q12-$k-s$s.gguf --log $W/q12-$k-s$s -t 2 2>&1 | grep -E "^step 30/" || true
done; done
args=()
for k in 0.01 0.1 0.5; do for s in 1 2 3; do args+=(--csv "kl_coef $k=$W/q12-$k-s$s/ppo.csv"); done; done
./jllm plot "${args[@]}" --metric 'env/reward_mean=mean reward (occurrences of "happy" in 24 tokens)' \
  --metric 'objective/kl=KL(π‖π_ref) per response (nats)' --metric 'response_length=response length (tokens)' \
  --metric 'objective/entropy=entropy per response (nats)' --out $W/ppo-kl-coef.png
python3 - $W <<'PY'
import csv, statistics as st, sys
w = sys.argv[1]
cols = ["env/reward_mean", "objective/kl", "objective/entropy", "response_length", "policy/clipfrac"]
print("| kl_coef | seed | " + " | ".join(c + " (steps 1–5 → 26–30)" for c in cols) + " |")
for k in ["0.01", "0.1", "0.5"]:
    runs = [list(csv.DictReader(open(f"{w}/q12-{k}-s{s}/ppo.csv"))) for s in (1, 2, 3)]
    for label, src in [(1, runs[:1]), (2, runs[1:2]), (3, runs[2:]), ("mean", runs)]:
        m = lambda c, a, b: st.mean(float(x[c]) for rows in src for x in rows[a:b])
        print(f"| {k} | {label} | " + " | ".join(f"{m(c, 0, 5):.2f} → {m(c, 25, 30):.2f}" for c in cols) + " |")
PY
for k in base 0.01 0.1 0.5; do
  lora=(); [ $k != base ] && lora=(--lora $W/q12-$k-s1.gguf)
  python3 -c 'import json,sys; [print(json.loads(l)["prompt"]) for l in open(sys.argv[1])]' $W/prompts.jsonl | while read -r p; do
    for s in 1 2; do
      printf '%s\t%s\t%s\n' $k "$p" "$(./jllm generate -m $M "${lora[@]}" -p "$p" -n 24 --temp 1 --top-k 0 --top-p 1 --seed $s -t 2 2>/dev/null | tr '\n' ' ')"
    done
  done
done > $W/samples.tsv
python3 - $W/samples.tsv <<'PY'
import re, statistics as st, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def distinct2(x):
    w = re.findall(r"[a-z']+", x.lower()); b = list(zip(w, w[1:])); return len(set(b)) / max(1, len(b))
for k in ["base", "0.01", "0.1", "0.5"]:
    t = [r[2] for r in rows if r[0] == k]
    h = [len(re.findall(r"\bhappy\b", x, re.I)) for x in t]
    print(f"{k}: {len(t)} samples, 'happy' {st.mean(h):.2f} per sample, in {sum(x > 0 for x in h)}/{len(t)}, distinct-2 {st.mean(map(distinct2, t)):.2f}")
PY
