package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.jllm.gguf.GgufFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.ToIntFunction;

/**
 * Single-thread encode throughput, jllm against jtokkit (cl100k_base, o200k_base) and HF tokenizers
 * through DJL (qwen3), in one JVM run. Not a test; run by hand (see docs/PERFORMANCE.md):
 * {@code java -cp <test classpath> dev.jllm.tokenizer.EncodeBench}.
 *
 * <p>English: tinyshakespeare (1.1 MB). Chinese: ci.song.0.json + poet.tang.0.json (0.8 MB of Song
 * ci and Tang poems in JSON). "warm" = best of 5 passes after 3 warm-up passes (our word cache
 * full); "cold cache" = the first pass of a freshly loaded jllm tokenizer after the JIT has warmed
 * up on the other corpus (no cached words).
 */
public final class EncodeBench {
    private EncodeBench() {}

    public static void main(String[] args) throws IOException {
        String en = Files.readString(TestData.path("tokenizers/corpora/tinyshakespeare.txt"));
        String zh = Files.readString(TestData.path("tokenizers/corpora/ci.song.0.json"))
                + Files.readString(TestData.path("tokenizers/corpora/poet.tang.0.json"));
        var registry = Encodings.newDefaultEncodingRegistry();
        System.out.printf(Locale.ROOT, "%-12s %-4s %-22s %10s %12s%n", "tokenizer", "text", "implementation", "warm MB/s", "cold-cache MB/s");
        for (String name : new String[] {"cl100k_base", "o200k_base"}) {
            Path file = TestData.path("tokenizers/tiktoken/" + name + ".tiktoken");
            Encoding ref = registry.getEncoding(name.equals("cl100k_base") ? EncodingType.CL100K_BASE : EncodingType.O200K_BASE);
            for (String[] corpus : new String[][] {{"EN", en}, {"ZH", zh}}) {
                String text = corpus[1];
                String other = corpus[0].equals("EN") ? zh : en;
                Tokenizer ours = TiktokenLoader.load(file);
                check(ours.encode(text), ref.encodeOrdinary(text).toArray(), name);
                report(name, corpus[0], "jllm", text, s -> ours.encode(s).length, cold(() -> TiktokenLoader.load(file), text, other));
                report(name, corpus[0], "jtokkit 1.1.0", text, s -> ref.encodeOrdinary(s).size(), Double.NaN);
            }
        }
        Path qwen = TestData.path("tokenizers/hf-qwen3/tokenizer.json");
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(qwen).optTruncation(false)
                .optPadding(false).optAddSpecialTokens(false).build()) {
            for (String[] corpus : new String[][] {{"EN", en}, {"ZH", zh}}) {
                String text = corpus[1];
                String other = corpus[0].equals("EN") ? zh : en;
                Tokenizer ours = TokenizerJsonLoader.load(qwen);
                report("qwen3", corpus[0], "jllm", text, s -> ours.encode(s).length, cold(() -> TokenizerJsonLoader.load(qwen), text, other));
                report("qwen3", corpus[0], "HF tokenizers (DJL)", text, s -> hf.encode(s, false, false).getIds().length, Double.NaN);
            }
        }
        Tokenizer spm;
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf"))) {
            spm = GgufTokenizerLoader.load(f);
        }
        report("llama-spm", "EN", "jllm", en, s -> spm.encode(s).length, Double.NaN);
        report("llama-spm", "ZH", "jllm", zh, s -> spm.encode(s).length, Double.NaN);
    }

    interface Loader {
        Tokenizer load() throws IOException;
    }

    /** MB/s of the first pass over {@code text} by a fresh tokenizer, after JIT warm-up on {@code other}. */
    private static double cold(Loader loader, String text, String other) throws IOException {
        Tokenizer warm = loader.load();
        for (int i = 0; i < 3; i++) warm.encode(other);
        Tokenizer fresh = loader.load();
        long t0 = System.nanoTime();
        fresh.encode(text);
        return mb(text) / ((System.nanoTime() - t0) / 1e9);
    }

    private static void report(String tok, String lang, String impl, String text, ToIntFunction<String> encode, double cold) {
        for (int i = 0; i < 3; i++) encode.applyAsInt(text);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            encode.applyAsInt(text);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf(Locale.ROOT, "%-12s %-4s %-22s %10.2f %12s%n", tok, lang, impl, mb(text) / best,
                Double.isNaN(cold) ? "" : String.format(Locale.ROOT, "%.2f", cold));
    }

    private static double mb(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length / 1e6;
    }

    private static void check(int[] got, int[] want, String name) {
        if (!Arrays.equals(got, want)) throw new AssertionError(name + ": jllm and jtokkit disagree; fix before measuring");
    }
}
