package dev.jllm.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-document chain, shared by the local runner and Spark: normalizers, then C4's line rules
 * (they change the text), then the enabled filters in a fixed order (cheap counts first). The
 * first filter that rejects names the reason; later filters are not run. Thread-safe: the filters
 * are immutable, each call makes its own {@link Doc}.
 */
public final class CleanPipeline {
    private final List<TextNormalizer> normalizers;
    private final C4Filter c4;
    private final List<Filter> filters = new ArrayList<>();
    private final MinHash minHash;
    private final boolean exact;

    public CleanPipeline(CleanConfig cfg) throws IOException {
        normalizers = cfg.normalize().steps();
        CleanConfig.Filters f = cfg.filters();
        c4 = f.c4().enabled() ? f.c4() : null;
        if (f.length().enabled()) filters.add(f.length());
        if (f.emoji().enabled()) filters.add(f.emoji());
        if (f.cjkRatio().enabled()) filters.add(f.cjkRatio());
        if (f.simplified().enabled()) filters.add(f.simplified());
        if (f.language().enabled()) filters.add(f.language());
        if (f.wordlist().enabled()) filters.add(new WordListFilter(Path.of(f.wordlist().path()), f.wordlist().maxHits()));
        if (f.gopherRepetition().enabled()) filters.add(f.gopherRepetition());
        if (f.gopherQuality().enabled()) filters.add(f.gopherQuality());
        CleanConfig.MinHashConfig m = cfg.dedup().minhash();
        minHash = m.enabled() ? new MinHash(m.ngram(), m.bands(), m.rows(), m.seed()) : null;
        exact = cfg.dedup().exact();
    }

    /** Names of the steps in order, for reports. */
    public List<String> stepNames() {
        List<String> s = new ArrayList<>();
        for (TextNormalizer n : normalizers) s.add("normalize:" + n.name());
        if (c4 != null) s.add("c4");
        for (Filter f : filters) s.add(f.name());
        if (exact) s.add("dedup:exact");
        if (minHash != null) s.add("dedup:minhash");
        return s;
    }

    public String normalize(String raw) {
        String t = raw;
        for (TextNormalizer n : normalizers) t = n.apply(t);
        return t;
    }

    /**
     * The outcome of one document.
     *
     * @param text        the cleaned text (also for rejected documents: what the filter saw)
     * @param filter      the rejecting filter's name, or null when kept
     * @param reason      the filter's reason, or null
     * @param before      character counts of the normalized text before C4 and the filters
     * @param after       character counts of the final text (null when rejected)
     * @param linesDropped lines C4 removed
     * @param hash        MurmurHash3-128 of the cleaned text when kept and exact dedup is on, else null
     * @param bands       MinHash band keys when kept and MinHash is on, else null
     */
    public record Outcome(String text, String filter, String reason, TextStats before, TextStats after,
                          int linesDropped, long[] hash, long[] bands) {
        public boolean kept() {
            return filter == null;
        }
    }

    public Outcome process(String raw) {
        String text = normalize(raw);
        Doc doc = new Doc(text);
        TextStats before = doc.stats();
        int dropped = 0;
        if (c4 != null) {
            C4Filter.Result r = c4.apply(text);
            dropped = r.linesDropped();
            if (r.reject() != null) return new Outcome(text, c4.name(), r.reject(), before, null, dropped, null, null);
            if (!r.text().equals(text)) {
                text = r.text();
                doc = new Doc(text);
            }
        }
        for (Filter f : filters) {
            String reason = f.reject(doc);
            if (reason != null) return new Outcome(text, f.name(), reason, before, null, dropped, null, null);
        }
        long[] hash = exact ? Hashing.murmur128(text, 0, text.length(), 0x6A6C6C6DL) : null;
        long[] bands = minHash != null ? minHash.bandKeys(text) : null;
        return new Outcome(text, null, null, before, doc.stats(), dropped, hash, bands);
    }
}
