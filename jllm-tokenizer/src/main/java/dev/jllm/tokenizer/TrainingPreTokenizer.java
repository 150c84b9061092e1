package dev.jllm.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The pre-tokenizers a {@link BpeTrainer} can train with, each written out the way both jllm and
 * HF tokenizers read it back.
 *
 * <ul>
 *   <li>{@code gpt2}: GPT-2's regex (HF {@code ByteLevel} with {@code use_regex}); letters, digit runs
 *       and punctuation runs each take one leading space. GGUF pre {@code gpt-2}.</li>
 *   <li>{@code llama3}: LLaMA 3's regex: digits in groups of at most 3, a letter run takes one leading
 *       non-letter (space or mark), case-insensitive contractions. GGUF pre {@code llama-bpe}; like
 *       Meta's file, whole pre-tokens that are tokens skip the merges ({@code ignore_merges}).</li>
 *   <li>{@code qwen2}: as llama3 but every digit alone. GGUF pre {@code qwen2}.</li>
 *   <li>{@code cjk}: qwen2's rules, except that runs of Han, Hiragana, Katakana and Hangul are
 *       pre-tokens of their own: they never take a leading space or punctuation mark and never join
 *       adjacent Latin letters. Merges are then spent on CJK words rather than on "space + character"
 *       or "mark + character" variants: {@code 张三1998年出生} splits into {@code 张三 1 9 9 8 年出生},
 *       {@code 用Java写} into {@code 用 Java 写}. GGUF pre {@code jllm-cjk}, which jllm reads and
 *       llama.cpp does not know.</li>
 * </ul>
 *
 * @param hfRegex the split regex in the Oniguruma/Rust dialect of tokenizer files (null for gpt2,
 *                whose regex is implied by HF's ByteLevel pre-tokenizer)
 */
public enum TrainingPreTokenizer {
    GPT2("gpt2", null, "gpt-2", false),
    LLAMA3("llama3", PreTokenizer.LLAMA3, "llama-bpe", true),
    QWEN2("qwen2", PreTokenizer.QWEN2, "qwen2", false),
    CJK("cjk", PreTokenizer.CJK, "jllm-cjk", false);

    private final String cliName;
    private final String hfRegex;
    private final String ggufPre;
    private final boolean ignoreMerges;

    TrainingPreTokenizer(String cliName, String hfRegex, String ggufPre, boolean ignoreMerges) {
        this.cliName = cliName;
        this.hfRegex = hfRegex;
        this.ggufPre = ggufPre;
        this.ignoreMerges = ignoreMerges;
    }

    /** The name used on the command line and in errors, e.g. {@code "qwen2"}. */
    public String cliName() {
        return cliName;
    }

    /** The tokenizer-file regex of the Split step, or null when HF ByteLevel's own regex is meant (gpt2). */
    public String hfRegex() {
        return hfRegex;
    }

    /** The {@code tokenizer.ggml.pre} value written into a GGUF. */
    public String ggufPre() {
        return ggufPre;
    }

    /** Whether a pre-token that is itself a token is emitted whole (HF {@code ignore_merges}). */
    public boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** The splitter the trainer counts words with (the same one the loaders build from the written file). */
    public PreTokenizer preTokenizer() {
        return new PreTokenizer(cliName, List.of(hfRegex == null ? PreTokenizer.GPT2 : hfRegex));
    }

    /** Looks up a name; an unknown one is an error listing the supported names. */
    public static TrainingPreTokenizer byName(String name) {
        for (TrainingPreTokenizer p : values()) if (p.cliName.equals(name)) return p;
        throw new IllegalArgumentException("unknown pre-tokenizer '" + name + "' (supported: " + supportedNames() + ")");
    }

    public static String supportedNames() {
        return Arrays.stream(values()).map(TrainingPreTokenizer::cliName).collect(Collectors.joining(", "));
    }
}
