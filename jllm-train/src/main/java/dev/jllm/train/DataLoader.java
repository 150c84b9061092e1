package dev.jllm.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batches of (inputs, targets) from token shards. Documents are already packed with EOS separators,
 * so a training sequence is any window of T+1 consecutive tokens of one source's stream (targets are
 * the inputs shifted by one; a window may span documents, as in GPT-2/LLaMA pretraining). Each
 * sequence picks its source by weight ({@code --mix code=8,math=1,general=1}) and its window at
 * random from a generator seeded by (seed, step, micro-batch): the same seed gives the same batches,
 * and a resumed run continues with exactly the batches the uninterrupted run would have seen.
 * Validation batches are fixed consecutive windows of the val shards. Tokens a shard's mask marks
 * as context only are -100 targets ({@link Layers#IGNORE}): no loss, no gradient.
 */
public final class DataLoader {
    private final TokenShards shards;
    private final int[] trainShards;   // shard index per source
    private final double[] cumWeight;  // cumulative mix weights, normalised
    private final String[] sources;
    private final List<Integer> valShards = new ArrayList<>();

    public DataLoader(TokenShards shards, String mix, int T) {
        this.shards = shards;
        Map<String, Integer> train = new LinkedHashMap<>();
        for (int i = 0; i < shards.shards.size(); i++) {
            TokenShards.Shard s = shards.shards.get(i);
            if (s.split().equals("train") && s.tokens() > T + 1) train.put(s.source(), i);
            if (s.split().equals("val") && s.tokens() > T + 1) valShards.add(i);
        }
        if (train.isEmpty()) throw new IllegalArgumentException(shards.dir + ": no train shard has more than seq+1 = " + (T + 1) + " tokens");
        Map<String, Double> weights = new LinkedHashMap<>();
        if (mix == null || mix.isBlank()) {
            for (var e : train.entrySet()) weights.put(e.getKey(), (double) shards.shards.get(e.getValue()).tokens());
        } else {
            for (String part : mix.split(",")) {
                String[] kv = part.strip().split("=");
                if (kv.length != 2) throw new IllegalArgumentException("mix entry '" + part + "' should be SOURCE=WEIGHT");
                if (!train.containsKey(kv[0].strip())) throw new IllegalArgumentException("mix names source '" + kv[0].strip() + "', but the shards have " + train.keySet());
                double w = Double.parseDouble(kv[1].strip());
                if (!(w >= 0)) throw new IllegalArgumentException("mix weight of " + kv[0] + " must be >= 0");
                weights.put(kv[0].strip(), w);
            }
        }
        double total = weights.values().stream().mapToDouble(Double::doubleValue).sum();
        if (!(total > 0)) throw new IllegalArgumentException("mix weights sum to 0");
        sources = weights.keySet().toArray(new String[0]);
        trainShards = new int[sources.length];
        cumWeight = new double[sources.length];
        double acc = 0;
        for (int i = 0; i < sources.length; i++) {
            trainShards[i] = train.get(sources[i]);
            acc += weights.get(sources[i]) / total;
            cumWeight[i] = acc;
        }
    }

    /** Source names in mix order, with their normalised weights. */
    public Map<String, Double> mix() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < sources.length; i++) m.put(sources[i], cumWeight[i] - (i == 0 ? 0 : cumWeight[i - 1]));
        return m;
    }

    public boolean hasValidation() { return !valShards.isEmpty(); }

    /** Fills inputs/targets (B·T each) with training micro-batch {@code micro} of optimizer step {@code step}. */
    public void trainBatch(long seed, int step, int micro, int B, int T, int[] inputs, int[] targets) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + micro);
        for (int b = 0; b < B; b++) {
            double u = rnd.nextDouble();
            int src = 0;
            while (src < cumWeight.length - 1 && u >= cumWeight[src]) src++;
            int s = trainShards[src];
            long start = rnd.nextLong(shards.shards.get(s).tokens() - T);
            window(s, start, b, T, inputs, targets);
        }
    }

    /** Validation batch {@code i}: consecutive windows through the val shards (wrapping), the same every time. */
    public void valBatch(int i, int B, int T, int[] inputs, int[] targets) {
        for (int b = 0; b < B; b++) {
            long w = (long) i * B + b;
            int s = valShards.get((int) (w % valShards.size()));
            long windows = (shards.shards.get(s).tokens() - 1) / T;
            long start = (w / valShards.size()) % windows * T;
            window(s, start, b, T, inputs, targets);
        }
    }

    private void window(int s, long start, int b, int T, int[] inputs, int[] targets) {
        for (int t = 0; t < T; t++) {
            inputs[b * T + t] = shards.token(s, start + t);
            targets[b * T + t] = shards.isTarget(s, start + t + 1) ? shards.token(s, start + t + 1) : Layers.IGNORE;
        }
    }
}
