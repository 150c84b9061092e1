#!/usr/bin/env bash
# Issue 13's comparison: jllm bench and llama-bench on the same GGUF files, back to back, per type.
#   LLAMA_BENCH=/path/to/llama.cpp/build/bin/llama-bench scripts/bench-vs-llamacpp.sh OUT_DIR [TYPES] [RUNS]
# TYPES: comma-separated (default Q4_0,Q4_1,Q5_0,Q8_0,Q4_K_M,Q5_K_M,Q6_K,IQ4_NL,IQ4_XS,F16,BF16); RUNS: how many
# jllm/llama.cpp pairs per type (default 3). Each pair: `jllm bench -p 512 -n 128 -r 3 -t 2 --json` then
# `llama-bench -p 512 -n 128 -r 3 -t 2 -o json` on the same file. Models: random weights of the Llama-3.2-1B shape
# (speed depends only on shape and type): `jllm init --preset llama-3.2-1b --type f16 --random --seed 1`, then
# `jllm quantize --type T` (F16 is that file; llama.cpp's own rules pick each tensor's type). Knobs: PRESET
# (llama-3.2-1b), P (512), N (128), REPS (3), THREADS (2), DEPTH (0; llama-bench -d and jllm bench -d), MODELS (a
# directory to keep the model files between runs: OUT_DIR/models). Writes OUT_DIR/results.md (one row per pair:
# means ± sd, ratios), OUT_DIR/results.json and the raw outputs; prints the table. Building llama.cpp stays outside
# this repository: pass a llama-bench you built (docs/PERFORMANCE.md says how).
set -euo pipefail
: "${LLAMA_BENCH:?set LLAMA_BENCH to a llama-bench binary (llama.cpp built beside the project)}"
[ $# -ge 1 ] || { echo "usage: $0 OUT_DIR [TYPES] [RUNS]" >&2; exit 2; }
OUT=$(realpath -m "$1"); TYPES=${2:-Q4_0,Q4_1,Q5_0,Q8_0,Q4_K_M,Q5_K_M,Q6_K,IQ4_NL,IQ4_XS,F16,BF16}; RUNS=${3:-3}
cd "$(dirname "$0")/.."
JLLM=${JLLM:-./jllm}; PRESET=${PRESET:-llama-3.2-1b}; P=${P:-512}; N=${N:-128}; REPS=${REPS:-3}; THREADS=${THREADS:-2}; DEPTH=${DEPTH:-0}
MODELS=${MODELS:-$OUT/models}
mkdir -p "$OUT/raw" "$MODELS"
jllm_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
f16="$MODELS/$PRESET-f16.gguf"
[ -f "$f16" ] || $JLLM init --preset "$PRESET" --type f16 --random --seed 1 "$f16" > /dev/null
IFS=, read -r -a types <<< "$TYPES"
for t in "${types[@]}"; do
  m="$MODELS/$PRESET-$t.gguf"
  if [ "$t" = F16 ]; then m="$f16"; elif [ ! -f "$m" ]; then $JLLM quantize "$f16" "$m" --type "$t" > /dev/null; fi
  for r in $(seq 1 "$RUNS"); do
    echo "== $t pair $r/$RUNS $(date -u +%H:%M:%S)" >&2
    $JLLM bench -m "$m" -p "$P" -n "$N" -r "$REPS" -t "$THREADS" -d "$DEPTH" --no-bandwidth --json > "$OUT/raw/$t-$r.jllm.json" 2> "$OUT/raw/$t-$r.jllm.log"
    "$LLAMA_BENCH" -m "$m" -p "$P" -n "$N" -r "$REPS" -t "$THREADS" -d "$DEPTH" -o json > "$OUT/raw/$t-$r.llama.json" 2> "$OUT/raw/$t-$r.llama.log"
  done
done
python3 - "$OUT" "$TYPES" "$RUNS" "$P" "$N" "$DEPTH" "$jllm_commit" "" "$PRESET" <<'PY'
import json, sys, os, platform
out, types, runs, p, n, depth, jc, lc, preset = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8], sys.argv[9]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
rows = []
for t in types:
    for r in range(1, runs + 1):
        j = json.load(open(f"{out}/raw/{t}-{r}.jllm.json"))
        l = json.load(open(f"{out}/raw/{t}-{r}.llama.json"))
        lc = lc or l[0].get("build_commit", "")  # llama-bench has no --version; its JSON names its build
        pp = next(x for x in l if x["n_prompt"] > 0 and x["n_gen"] == 0)
        tg = next(x for x in l if x["n_gen"] > 0 and x["n_prompt"] == 0)
        jp, jt = j[f"pp{p}"], j[f"tg{n}"]
        rows.append({"type": t, "run": r, "size_bytes": j["size_bytes"],
                     "jllm_pp": jp["mean"], "jllm_pp_sd": jp["sd"], "llama_pp": pp["avg_ts"], "llama_pp_sd": pp["stddev_ts"],
                     "jllm_tg": jt["mean"], "jllm_tg_sd": jt["sd"], "llama_tg": tg["avg_ts"], "llama_tg_sd": tg["stddev_ts"],
                     "pp_ratio": jp["mean"] / pp["avg_ts"], "tg_ratio": jt["mean"] / tg["avg_ts"]})
meta = {"machine": f"{os.cpu_count()} cores, {cpu}", "jllm_commit": jc, "llama_cpp_commit": lc, "preset": preset, "p": p, "n": n, "depth": depth}
json.dump({"meta": meta, "rows": rows}, open(f"{out}/results.json", "w"), indent=1)
with open(f"{out}/results.md", "w") as f:
    f.write(f"{preset}, random weights, pp{p}/tg{n}" + (f" at depth {depth}" if depth != "0" else "") + f", 2 threads; jllm {jc}, llama.cpp {lc}; {meta['machine']}\n\n")
    f.write(f"| type | pair | size | jllm pp{p} | llama.cpp pp{p} | ratio | jllm tg{n} | llama.cpp tg{n} | ratio |\n|---|---|---|---|---|---|---|---|---|\n")
    for x in rows:
        f.write(f"| {x['type']} | {x['run']} | {x['size_bytes'] / 2**20:.0f} MiB | {x['jllm_pp']:.1f} ± {x['jllm_pp_sd']:.1f} | {x['llama_pp']:.1f} ± {x['llama_pp_sd']:.1f} | "
                f"{x['pp_ratio']:.2f}× | {x['jllm_tg']:.2f} ± {x['jllm_tg_sd']:.2f} | {x['llama_tg']:.2f} ± {x['llama_tg_sd']:.2f} | {x['tg_ratio']:.2f}× |\n")
print(open(f"{out}/results.md").read())
PY
