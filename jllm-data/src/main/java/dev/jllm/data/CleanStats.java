package dev.jllm.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts of one shard or of a whole run (shards merged in order). Mutable, owned by one thread;
 * public fields because it is written to and read from the shard state JSON as it is.
 */
public final class CleanStats {
    /** Bins of the length histogram: [0,50), [50,100), ... [1950,2000), then ≥ 2000. */
    public static final int LENGTH_BIN = 50, LENGTH_BINS = 41;
    /** Bins of the simplified-ratio histogram: [no Han], [0,.05), ... [.95,1.0]. */
    public static final int RATIO_BINS = 21;
    public static final int EXAMPLES = 5;

    public long docsIn, bytesIn, docsOut, bytesOut, malformed, missingField, exactDuplicates, nearDuplicates, c4LinesDropped;
    /** Rejections per filter name, in the order first seen. */
    public Map<String, Long> rejected = new LinkedHashMap<>();
    /** Up to 5 examples per filter (also "dedup:exact", "dedup:minhash", "malformed"). */
    public Map<String, List<Example>> examples = new LinkedHashMap<>();
    public long[] lengthBefore = new long[LENGTH_BINS], lengthAfter = new long[LENGTH_BINS];
    public long[] ratioBefore = new long[RATIO_BINS], ratioAfter = new long[RATIO_BINS];

    /** One explained rejection: where, why, and the start of the text. */
    public static final class Example {
        public String source;
        public String reason;
        public String text;

        public Example() {}

        public Example(String source, String reason, String text) {
            this.source = source;
            this.reason = reason;
            this.text = text.length() > 300 ? text.substring(0, 300) + "…" : text;
        }
    }

    void reject(String filter, String source, String reason, String text) {
        rejected.merge(filter, 1L, Long::sum);
        example(filter, source, reason, text);
    }

    void example(String key, String source, String reason, String text) {
        List<Example> l = examples.computeIfAbsent(key, k -> new ArrayList<>());
        if (l.size() < EXAMPLES) l.add(new Example(source, reason, text));
    }

    static int lengthBin(int codePoints) {
        return Math.min(LENGTH_BINS - 1, codePoints / LENGTH_BIN);
    }

    static int ratioBin(TextStats s) {
        return s.han() == 0 ? 0 : 1 + Math.min(19, (int) (s.simplifiedRatio() * 20));
    }

    void before(TextStats s) {
        lengthBefore[lengthBin(s.codePoints())]++;
        ratioBefore[ratioBin(s)]++;
    }

    void after(TextStats s) {
        lengthAfter[lengthBin(s.codePoints())]++;
        ratioAfter[ratioBin(s)]++;
    }

    /** Adds another shard's counts; examples keep the first 5 in order. */
    public void add(CleanStats o) {
        docsIn += o.docsIn;
        bytesIn += o.bytesIn;
        docsOut += o.docsOut;
        bytesOut += o.bytesOut;
        malformed += o.malformed;
        missingField += o.missingField;
        exactDuplicates += o.exactDuplicates;
        nearDuplicates += o.nearDuplicates;
        c4LinesDropped += o.c4LinesDropped;
        o.rejected.forEach((k, v) -> rejected.merge(k, v, Long::sum));
        o.examples.forEach((k, v) -> {
            for (Example e : v) {
                List<Example> l = examples.computeIfAbsent(k, x -> new ArrayList<>());
                if (l.size() < EXAMPLES) l.add(e);
            }
        });
        for (int i = 0; i < LENGTH_BINS; i++) {
            lengthBefore[i] += o.lengthBefore[i];
            lengthAfter[i] += o.lengthAfter[i];
        }
        for (int i = 0; i < RATIO_BINS; i++) {
            ratioBefore[i] += o.ratioBefore[i];
            ratioAfter[i] += o.ratioAfter[i];
        }
    }
}
