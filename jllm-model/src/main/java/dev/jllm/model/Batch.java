package dev.jllm.model;

import java.util.List;

/**
 * One forward step's work: tokens of several sequences, each continuing its sequence at
 * {@code startPos}. A prefill is one entry with many tokens; a decode step is many entries with one
 * token each; continuous batching mixes both.
 */
public record Batch(List<Entry> entries) {

    /**
     * Which positions of an entry need logits. HIDDEN: instead of logits, every position's final hidden
     * state after the output norm (dim floats per row; what embeddings pool), and no classifier run.
     */
    public enum Logits { NONE, LAST, ALL, HIDDEN }

    /**
     * @param adapter a LoRA adapter applied to this entry's tokens only ({@link LoraWeights}), or null
     */
    public record Entry(int seq, int[] tokens, int startPos, Logits logits, LoraWeights adapter) {
        public Entry(int seq, int[] tokens, int startPos, Logits logits) {
            this(seq, tokens, startPos, logits, null);
        }

        public Entry {
            if (tokens.length == 0) throw new IllegalArgumentException("batch entry for sequence " + seq + " has no tokens");
            if (startPos < 0) throw new IllegalArgumentException("startPos must be >= 0, got " + startPos);
            tokens = tokens.clone();
        }
    }

    public Batch {
        if (entries.isEmpty()) throw new IllegalArgumentException("empty batch");
        entries = List.copyOf(entries);
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (Entry e : entries) {
            if (!seen.add(e.seq())) throw new IllegalArgumentException("sequence " + e.seq() + " appears twice in one batch");
        }
    }

    public static Batch of(int seq, int[] tokens, int startPos, Logits logits) {
        return new Batch(List.of(new Entry(seq, tokens, startPos, logits)));
    }

    public static Batch of(int seq, int[] tokens, int startPos, Logits logits, LoraWeights adapter) {
        return new Batch(List.of(new Entry(seq, tokens, startPos, logits, adapter)));
    }

    public int tokenCount() {
        int n = 0;
        for (Entry e : entries) n += e.tokens().length;
        return n;
    }
}
