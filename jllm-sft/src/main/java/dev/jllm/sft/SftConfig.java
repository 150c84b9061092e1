package dev.jllm.sft;

import java.util.Locale;
import java.util.Map;

/**
 * How SFT data becomes rows. Build with {@link #builder(int, int)}; every setting but the row shape
 * has a default (pack, truncate, train on all turns, auto format, no variables, fail on the first
 * bad record, no held-out split, seed 0).
 *
 * @param seqLen          S, tokens per row
 * @param rows            B, rows per micro-batch
 * @param packing         PACK several samples per row, or PAD one sample per row
 * @param overflow        a sample longer than S: TRUNCATE (keep its start) or DROP it
 * @param trainOn         which assistant turns carry loss
 * @param format          record shape, AUTO per record
 * @param variables       {@code {{name}}} values, or null to leave texts alone
 * @param skipBad         count bad records instead of failing at the first
 * @param valFraction     fraction of each source's records held out for validation, in [0, 1)
 * @param seed            drives the held-out split, the per-epoch shuffles and the source draws
 * @param templateContext extra chat-template variables (e.g. {@code enable_thinking})
 */
public record SftConfig(int seqLen, int rows, Packing packing, Overflow overflow, SftRenderer.TrainOn trainOn, Format format,
                        Map<String, String> variables, boolean skipBad, double valFraction, long seed,
                        Map<String, Object> templateContext) {

    /** PACK: greedy first-fit of samples into the micro-batch's rows, attention kept per sample by segments. PAD: one sample per row. */
    public enum Packing {
        PACK, PAD;

        public static Packing parse(String s) {
            return switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "pack" -> PACK;
                case "pad" -> PAD;
                default -> throw new IllegalArgumentException("packing must be pack or pad, got '" + s + "'");
            };
        }
    }

    /** What happens to a sample longer than the row. */
    public enum Overflow {
        TRUNCATE, DROP;

        public static Overflow parse(String s) {
            return switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "truncate" -> TRUNCATE;
                case "drop" -> DROP;
                default -> throw new IllegalArgumentException("overflow must be truncate or drop, got '" + s + "'");
            };
        }
    }

    public SftConfig {
        if (seqLen < 2) throw new IllegalArgumentException("seq length must be >= 2 (one input and one target), got " + seqLen);
        if (rows < 1) throw new IllegalArgumentException("rows per micro-batch must be >= 1, got " + rows);
        if (!(valFraction >= 0 && valFraction < 1)) throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + valFraction);
        if (packing == null || overflow == null || trainOn == null || format == null) throw new NullPointerException("packing/overflow/trainOn/format");
        variables = variables == null ? null : Map.copyOf(variables);
        templateContext = templateContext == null ? Map.of() : Map.copyOf(templateContext);
    }

    public static Builder builder(int seqLen, int rows) {
        return new Builder(seqLen, rows);
    }

    /** Defaults as listed on {@link SftConfig}. */
    public static final class Builder {
        private final int seqLen, rows;
        private Packing packing = Packing.PACK;
        private Overflow overflow = Overflow.TRUNCATE;
        private SftRenderer.TrainOn trainOn = SftRenderer.TrainOn.ALL;
        private Format format = Format.AUTO;
        private Map<String, String> variables;
        private boolean skipBad;
        private double valFraction;
        private long seed;
        private Map<String, Object> templateContext = Map.of();

        private Builder(int seqLen, int rows) {
            this.seqLen = seqLen;
            this.rows = rows;
        }

        public Builder packing(Packing p) { packing = p; return this; }
        public Builder overflow(Overflow o) { overflow = o; return this; }
        public Builder trainOn(SftRenderer.TrainOn t) { trainOn = t; return this; }
        public Builder format(Format f) { format = f; return this; }
        public Builder variables(Map<String, String> v) { variables = v; return this; }
        public Builder skipBad(boolean b) { skipBad = b; return this; }
        public Builder valFraction(double f) { valFraction = f; return this; }
        public Builder seed(long s) { seed = s; return this; }
        public Builder templateContext(Map<String, Object> c) { templateContext = c; return this; }

        public SftConfig build() {
            return new SftConfig(seqLen, rows, packing, overflow, trainOn, format, variables, skipBad, valFraction, seed, templateContext);
        }
    }
}
