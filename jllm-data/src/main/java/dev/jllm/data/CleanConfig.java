package dev.jllm.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The whole cleaning configuration, immutable and validated. Defaults live in one place, the
 * resource {@code defaults.yaml} (every key, with a comment); presets and a user's clean.yaml
 * override them (see {@link CleanConfigLoader}); unknown keys are errors.
 */
public record CleanConfig(Input input, Normalize normalize, Filters filters, Dedup dedup, Output output) {

    /**
     * @param format    auto (by extension: .jsonl/.json → JSON lines, else text), txt or jsonl
     * @param txtDocs   for text input: line (one document per line) or paragraph (blank-line separated)
     * @param textField the JSONL field holding the text
     * @param failFast  stop at the first unreadable file instead of naming and counting it
     */
    public record Input(String format, String txtDocs, String textField, boolean failFast) {
        public Input {
            if (!Set.of("auto", "txt", "jsonl").contains(format)) throw new IllegalArgumentException("input.format must be auto, txt or jsonl, got '" + format + "'");
            if (!Set.of("line", "paragraph").contains(txtDocs)) throw new IllegalArgumentException("input.txt_docs must be line or paragraph, got '" + txtDocs + "'");
            if (textField == null || textField.isEmpty()) throw new IllegalArgumentException("input.text_field must not be empty");
        }
    }

    /** Normalization steps, applied in this order: utf8_repair, ansi, control, nfkc, fullwidth, whitespace. */
    public record Normalize(boolean utf8Repair, boolean ansi, boolean control, boolean nfkc, boolean fullwidth,
                            boolean fullwidthPunctuation, boolean whitespace) {
        public List<TextNormalizer> steps() {
            List<TextNormalizer> s = new ArrayList<>();
            if (utf8Repair) s.add(new ReplacementCharStripper());
            if (ansi) s.add(new AnsiEscapeStripper());
            if (control) s.add(new ControlCharStripper());
            if (nfkc) s.add(new NfkcNormalizer());
            if (fullwidth) s.add(new FullwidthFolder(fullwidthPunctuation));
            if (whitespace) s.add(new WhitespaceFolder());
            return s;
        }
    }

    /** Filter settings; C4's line rules run first (they change the text), then the others in this order. */
    public record Filters(C4Filter c4, LengthFilter length, EmojiFilter emoji, CjkRatioFilter cjkRatio,
                          SimplifiedRatioFilter simplified, LanguageFilter language, WordList wordlist,
                          GopherRepetitionFilter gopherRepetition, GopherQualityFilter gopherQuality) {}

    /** @param path word list file (UTF-8, one entry per line); required when enabled */
    public record WordList(boolean enabled, String path, int maxHits) {
        public WordList {
            if (enabled && (path == null || path.isEmpty())) throw new IllegalArgumentException("filters.wordlist.path is required when the word list is enabled");
            if (maxHits < 0) throw new IllegalArgumentException("filters.wordlist.max_hits must be >= 0, got " + maxHits);
        }
    }

    /** @param exact drop documents whose cleaned text is identical (MurmurHash3-128) to an earlier one */
    public record Dedup(boolean exact, MinHashConfig minhash) {}

    public record MinHashConfig(boolean enabled, int ngram, int bands, int rows, long seed) {
        public MinHashConfig {
            if (ngram < 1 || ngram > 64) throw new IllegalArgumentException("dedup.minhash.ngram must be in 1..64, got " + ngram);
            if (bands < 1 || rows < 1 || bands * rows > 4096) throw new IllegalArgumentException("dedup.minhash.bands × rows must be in 1..4096");
        }
    }

    /**
     * @param gzip       write .jsonl.gz instead of .jsonl
     * @param rejected   also write rejected/ with the filter and reason of every dropped document
     * @param shardBytes input bytes per shard: uncompressed inputs larger than this are split at line
     *                   boundaries; each shard is one output part and the unit of resuming
     */
    public record Output(boolean gzip, boolean rejected, long shardBytes) {
        public Output {
            if (shardBytes < 1024) throw new IllegalArgumentException("output.shard_bytes must be >= 1024, got " + shardBytes);
        }
    }
}
