package dev.jllm.model;

import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a model costs in memory, each number with the formula it came from: weights at several
 * types, KV cache per token and for a context × batch, LoRA parameters, a vocabulary change, and a
 * fits / does-not-fit verdict for the RAM available.
 *
 * <p>Legend: L layers, d model width, h hidden (FFN) width, V vocab, n_kv KV heads, hd head width,
 * r LoRA rank.
 */
public final class MemoryPlan {
    private MemoryPlan() {}

    /** The LoRA target names and the tensor each adapts. */
    public static final Map<String, String> LORA_TARGETS = Map.of(
            "q", "attn_q", "k", "attn_k", "v", "attn_v", "o", "attn_output",
            "gate", "ffn_gate", "up", "ffn_up", "down", "ffn_down");

    /** Fixed allowance for the JVM itself (heap, code cache, metaspace) in the verdict. */
    public static final long RUNTIME_OVERHEAD = 256L << 20;

    /** What the user asked to plan for. */
    public record Request(int ctx, int batch, int loraRank, Set<String> loraTargets, int newVocab, GgmlType cacheType) {
        public Request {
            if (ctx <= 0) throw new IllegalArgumentException("--ctx must be > 0, got " + ctx);
            if (batch <= 0) throw new IllegalArgumentException("--batch must be > 0, got " + batch);
            if (loraRank < 0) throw new IllegalArgumentException("--lora-rank must be >= 0, got " + loraRank);
            if (newVocab < 0) throw new IllegalArgumentException("--vocab must be > 0, got " + newVocab);
            if (cacheType != GgmlType.F32 && cacheType != GgmlType.F16) {
                throw new IllegalArgumentException("--cache-type must be f32 or f16, got " + cacheType);
            }
            for (String t : loraTargets) {
                if (!LORA_TARGETS.containsKey(t)) {
                    throw new IllegalArgumentException("--lora-targets: unknown target '" + t + "'; valid: q,k,v,o,gate,up,down");
                }
            }
            loraTargets = Set.copyOf(loraTargets);
        }
    }

    /** One number of the plan. {@code unit} is "bytes", "params" or "percent". */
    public record Item(String key, String label, double value, String unit, String formula) {}

    /** Weight bytes if every matrix were stored as {@code type}. */
    public record WeightEstimate(long bytes, int fallbackTensors) {}

    /**
     * Weight bytes at {@code type}: matrices at {@code type}; 1-D tensors (norms, biases) stay F32 as
     * llama.cpp keeps them; a matrix whose row length is not a multiple of the block size cannot be
     * stored in that type and falls back to F16 (counted in {@code fallbackTensors}).
     */
    public static WeightEstimate weightBytes(List<GgufTensorInfo> tensors, GgmlType type) {
        long bytes = 0;
        int fallback = 0;
        for (GgufTensorInfo t : tensors) {
            long n = t.elementCount();
            long row = t.dims()[0];
            if (t.dims().length == 1) {
                bytes += n * 4;
            } else if (row % type.blockSize != 0) {
                bytes += n * 2;
                fallback++;
            } else {
                bytes += type.bytes(n, row);
            }
        }
        return new WeightEstimate(bytes, fallback);
    }

    /** Tokens per KV block of the paged cache ({@link KvCacheManager}): vLLM's default. */
    public static final int KV_BLOCK_TOKENS = 16;

    /** One KV block: K and V of {@code blockTokens} tokens in every layer. */
    public static long kvBlockBytes(ModelConfig c, GgmlType cacheType, int blockTokens) {
        return kvBytesPerToken(c, cacheType) * blockTokens;
    }

    /** Blocks that hold {@code tokens} tokens: ceil(tokens / blockTokens). */
    public static int kvBlocks(int tokens, int blockTokens) {
        return (tokens + blockTokens - 1) / blockTokens;
    }

    /**
     * The smallest paged cache that runs one sequence of {@code ctx} tokens: its blocks plus one, for
     * the copy-on-write of a partly shared block after a fork.
     */
    public static int minKvBlocks(int ctx, int blockTokens) {
        return kvBlocks(ctx, blockTokens) + 1;
    }

    /** Whole blocks that fit in {@code bytes} (capped at Integer.MAX_VALUE). */
    public static int kvBlocksIn(long bytes, ModelConfig c, GgmlType cacheType, int blockTokens) {
        return (int) Math.min(Integer.MAX_VALUE, bytes / kvBlockBytes(c, cacheType, blockTokens));
    }

    /** K and V for one token: 2 · L · n_kv · hd · bytes per element. */
    public static long kvBytesPerToken(ModelConfig c, GgmlType cacheType) {
        return 2L * c.nLayers() * c.kvDim() * cacheType.typeSize;
    }

    public static long kvBytes(ModelConfig c, GgmlType cacheType, int ctx, int batch) {
        return kvBytesPerToken(c, cacheType) * ctx * batch;
    }

    /** LoRA parameters: Σ over layers and adapted matrices of r · (d_in + d_out). */
    public static long loraParams(ModelConfig c, List<GgufTensorInfo> tensors, int rank, Set<String> targets) {
        long total = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            for (String target : targets) {
                long[] io = inOut(c, tensors, l, LORA_TARGETS.get(target));
                total += (long) rank * (io[0] + io[1]);
            }
        }
        return total;
    }

    /** {d_in, d_out} of a layer's matrix: from the tensor if present (real shapes), else from the config. */
    private static long[] inOut(ModelConfig c, List<GgufTensorInfo> tensors, int layer, String kind) {
        String name = "blk." + layer + "." + kind + ".weight";
        for (GgufTensorInfo t : tensors) {
            if (t.name().equals(name) && t.dims().length == 2) return new long[] {t.dims()[0], t.dims()[1]};
        }
        LoraTarget t = LoraTarget.ofGguf(kind);
        if (t == null) throw new IllegalArgumentException(kind);
        int[] io = t.inOut(c);
        return new long[] {io[0], io[1]};
    }

    /** Parameter change if the vocabulary became {@code newVocab}: (V' − V) · d, twice if untied. */
    public static long vocabDelta(ModelConfig c, int newVocab) {
        return (long) (newVocab - c.vocabSize()) * c.dim() * (c.tiedEmbeddings() ? 1 : 2);
    }

    /**
     * Activation buffers for one forward step of {@code batch} sequences: logits B·V, the residual
     * stream and its norm/attention temporaries B·(4d + 2h), attention scores B·n_heads·ctx; all F32.
     */
    public static long scratchBytes(ModelConfig c, int ctx, int batch) {
        return 4L * batch * (c.vocabSize() + 4L * c.dim() + 2L * c.hiddenDim() + (long) c.nHeads() * ctx);
    }

    /**
     * Off-heap bytes of the copies {@link Weights} repacks at load for this CPU's vector kernels
     * (the types {@link dev.jllm.tensor.PackedMatrix#supports} accepts; {@link dev.jllm.tensor.PackedMatrix#packedBytes}),
     * 0 where it keeps only the memory-mapped file. An untied token embedding is not repacked (it is
     * only looked up by row).
     */
    public static long repackedBytes(List<GgufTensorInfo> tensors) {
        long n = 0;
        for (GgufTensorInfo t : tensors) {
            if (repacked(t, tensors)) n += dev.jllm.tensor.PackedMatrix.packedBytes(t.type(), (int) t.dims()[1], (int) t.dims()[0]);
        }
        return n;
    }

    /**
     * Bytes of the mapped file that the repacked copies replace (their whole groups of 16 rows): after
     * repacking, {@link Weights} gives these pages back to the OS, so they are not resident beside the
     * copy (0 where this CPU repacks nothing).
     */
    public static long replacedBytes(List<GgufTensorInfo> tensors) {
        long n = 0;
        for (GgufTensorInfo t : tensors) {
            if (repacked(t, tensors) && dev.jllm.tensor.PackedMatrix.supports(t.type(), (int) t.dims()[1], (int) t.dims()[0])) {
                n += t.dims()[1] / dev.jllm.tensor.PackedMatrix.GROUP * dev.jllm.tensor.PackedMatrix.GROUP * t.type().rowBytes(t.dims()[0]);
            }
        }
        return n;
    }

    private static boolean repacked(GgufTensorInfo t, List<GgufTensorInfo> tensors) {
        long[] d = t.dims();
        if (d.length != 2 || d[0] > Integer.MAX_VALUE || d[1] > Integer.MAX_VALUE) return false;
        return !t.name().equals("token_embd.weight") || tensors.stream().noneMatch(x -> x.name().equals("output.weight"));
    }

    /** The whole plan as display/JSON items, in order; {@code repackedBytes} as {@link #repackedBytes} says for this CPU. */
    public static List<Item> items(ModelConfig c, List<GgufTensorInfo> tensors, long storedWeightBytes, long repackedBytes, Request r,
                                   long ramTotal, long ramAvailable) {
        List<Item> out = new ArrayList<>();
        long params = 0;
        for (GgufTensorInfo t : tensors) params += t.elementCount();
        for (GgmlType t : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0)) {
            WeightEstimate w = weightBytes(tensors, t);
            String f = t == GgmlType.F32 ? "params · 4" : "matrices: n · " + t.typeSize + "/" + t.blockSize
                    + " (" + t.bitsPerWeight() + " bits/weight) + 1-D tensors: n · 4 (F32)";
            if (w.fallbackTensors() > 0) {
                f += " + " + w.fallbackTensors() + " matrices with rows not a multiple of " + t.blockSize + " kept at F16: n · 2";
            }
            out.add(new Item("weights." + t.name().toLowerCase(), "weights at " + t, w.bytes(), "bytes", f));
        }
        String kvF = "2 (K,V) · L " + c.nLayers() + " · n_kv " + c.nKvHeads() + " · hd " + c.headDim();
        out.add(new Item("kv.per_token.f32", "KV cache per token (F32)", kvBytesPerToken(c, GgmlType.F32), "bytes", kvF + " · 4"));
        out.add(new Item("kv.per_token.f16", "KV cache per token (F16)", kvBytesPerToken(c, GgmlType.F16), "bytes", kvF + " · 2"));
        String ctxF = " · ctx " + r.ctx() + " · batch " + r.batch();
        out.add(new Item("kv.total.f32", "KV cache at ctx " + r.ctx() + " × batch " + r.batch() + " (F32)",
                kvBytes(c, GgmlType.F32, r.ctx(), r.batch()), "bytes", "per-token F32" + ctxF));
        out.add(new Item("kv.total.f16", "KV cache at ctx " + r.ctx() + " × batch " + r.batch() + " (F16)",
                kvBytes(c, GgmlType.F16, r.ctx(), r.batch()), "bytes", "per-token F16" + ctxF));
        if (r.loraRank() > 0) {
            long lp = loraParams(c, tensors, r.loraRank(), r.loraTargets());
            List<String> sorted = r.loraTargets().stream().sorted().toList();
            out.add(new Item("lora.params", "LoRA parameters (rank " + r.loraRank() + ", " + String.join(",", sorted) + ")", lp, "params",
                    "L · Σ_targets r · (d_in + d_out)"));
            out.add(new Item("lora.percent", "LoRA as % of the model", 100.0 * lp / params, "percent", "lora params / " + params + " · 100"));
        }
        if (r.newVocab() > 0) {
            long dv = vocabDelta(c, r.newVocab());
            out.add(new Item("vocab.delta_params", "parameter change for vocab " + c.vocabSize() + " → " + r.newVocab(), dv, "params",
                    "(V' − V) · d" + (c.tiedEmbeddings() ? " (tied embedding/output)" : " · 2 (embedding + untied output)")));
            out.add(new Item("vocab.delta_percent", "vocab change as % of the model", 100.0 * dv / params, "percent", "delta / " + params + " · 100"));
        }
        long kv = kvBytes(c, r.cacheType(), r.ctx(), r.batch());
        long scratch = scratchBytes(c, r.ctx(), r.batch());
        long replaced = repackedBytes > 0 ? replacedBytes(tensors) : 0;
        long need = storedWeightBytes - replaced + repackedBytes + kv + scratch + RUNTIME_OVERHEAD;
        out.add(new Item("run.scratch", "activation buffers", scratch, "bytes", "4 · batch · (V + 4d + 2h + n_heads · ctx)"));
        out.add(new Item("run.repacked", "repacked copy of the quantized matrices (off-heap)", repackedBytes, "bytes",
                "Σ Q8_0/Q4_0/Q4_1/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K/IQ4/F16/BF16 matrices: 16-row groups, the file's size for Q8_0/Q4_0/Q5_0/IQ4_NL/F16/BF16 (0 without 8- or 16-lane vectors)"));
        out.add(new Item("run.released", "mapped weights released after repacking (not resident)", replaced, "bytes",
                "Σ stored bytes of the rows the copy replaces"));
        out.add(new Item("run.need", "memory to run (weights once + KV " + r.cacheType() + " + buffers + JVM)",
                need, "bytes", storedWeightBytes + " − " + replaced + " + " + repackedBytes + " + " + kv + " + " + scratch + " + " + RUNTIME_OVERHEAD));
        out.add(new Item("machine.ram_total", "RAM total", ramTotal, "bytes", "/proc/meminfo MemTotal"));
        out.add(new Item("machine.ram_available", "RAM available", ramAvailable, "bytes", "/proc/meminfo MemAvailable"));
        out.add(new Item("verdict.headroom", "headroom", ramAvailable - need, "bytes", "available − need"));
        return out;
    }

    /** Keyed view of {@link #items} for tests and JSON. */
    public static Map<String, Item> byKey(List<Item> items) {
        Map<String, Item> m = new LinkedHashMap<>();
        for (Item i : items) m.put(i.key(), i);
        return m;
    }
}
