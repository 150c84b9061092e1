package dev.jllm.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * MinHash signatures and LSH band keys with datatrove's defaults: 5-gram shingles, 112 hash
 * functions as 14 bands × 8 rows (two documents with Jaccard similarity s share at least one band
 * with probability 1 − (1 − s⁸)¹⁴: 0.5 → 0.05, 0.7 → 0.50, 0.8 → 0.92, 0.9 → 1.00).
 *
 * <p>Shingles are n-grams of words: lower-cased {@link Words} without punctuation-only words, so
 * CJK text is shingled by characters and other text by words. A text with fewer than n words is
 * one shingle. Hash family: h_i(x) = (a_i·x + b_i mod 2⁶⁴) >>> 32 with odd a_i (multiply-shift,
 * Dietzfelbinger et al.) over a 64-bit shingle hash, instead of datatrove's (a·x + b) mod (2⁶¹−1):
 * also universal, and one multiply per hash.
 */
public final class MinHash {
    private final int ngram, bands, rows;
    private final long[] a, b;

    public MinHash(int ngram, int bands, int rows, long seed) {
        if (ngram < 1) throw new IllegalArgumentException("dedup.minhash.ngram must be >= 1, got " + ngram);
        if (bands < 1 || rows < 1) throw new IllegalArgumentException("dedup.minhash.bands and rows must be >= 1");
        this.ngram = ngram;
        this.bands = bands;
        this.rows = rows;
        int k = bands * rows;
        a = new long[k];
        b = new long[k];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < k; i++) {
            a[i] = r.nextLong() | 1;
            b[i] = r.nextLong();
        }
    }

    public int bands() {
        return bands;
    }

    /** Probability that two documents with Jaccard similarity s become candidates. */
    public double candidateProbability(double s) {
        return 1 - Math.pow(1 - Math.pow(s, rows), bands);
    }

    /** 64-bit hashes of the text's shingles (duplicates included; they do not change a minimum). */
    public long[] shingles(String text) {
        List<String> words = new ArrayList<>();
        for (String w : Words.split(text.toLowerCase(Locale.ROOT))) {
            String core = w.replaceAll("^[\\p{P}\\p{S}]+|[\\p{P}\\p{S}]+$", "");
            if (!core.isEmpty()) words.add(core);
        }
        if (words.isEmpty()) return new long[0];
        long[] wh = new long[words.size()];
        for (int i = 0; i < wh.length; i++) wh[i] = Hashing.hash64(words.get(i));
        int count = Math.max(1, wh.length - ngram + 1);
        int len = Math.min(ngram, wh.length);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            long h = 0x2545F4914F6CDD1DL;
            for (int j = 0; j < len; j++) h = Hashing.fmix64(h ^ wh[i + j]) + j;
            out[i] = h;
        }
        return out;
    }

    /** The signature: for each of bands × rows hash functions, the minimum over the shingles. */
    public long[] signature(long[] shingles) {
        int k = a.length;
        long[] sig = new long[k];
        java.util.Arrays.fill(sig, Long.MAX_VALUE);
        for (long x : shingles) {
            for (int i = 0; i < k; i++) sig[i] = Math.min(sig[i], (a[i] * x + b[i]) >>> 32);
        }
        return sig;
    }

    /** One key per band (hash of its rows), or an empty array for a text without words. */
    public long[] bandKeys(String text) {
        long[] sh = shingles(text);
        if (sh.length == 0) return new long[0];
        long[] sig = signature(sh);
        long[] keys = new long[bands];
        for (int bnd = 0; bnd < bands; bnd++) {
            long h = 0x9E3779B97F4A7C15L * (bnd + 1);
            for (int r = 0; r < rows; r++) h = Hashing.fmix64(h ^ sig[bnd * rows + r]);
            keys[bnd] = h;
        }
        return keys;
    }
}
