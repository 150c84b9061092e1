package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/**
 * Encode throughput on tinyshakespeare (not a test; run by hand):
 * {@code java -cp <test+main classpath> dev.jllm.tokenizer.TokenizerBench}. Prints MB/s and tokens/s
 * per tokenizer, cold (empty word cache, first pass) and warm (best of 5 passes).
 */
public final class TokenizerBench {
    private TokenizerBench() {}

    public static void main(String[] args) throws IOException {
        String text = Files.readString(TestData.path("tokenizers/corpora/tinyshakespeare.txt"));
        double mb = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length / 1e6;
        Tokenizer spm;
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf"))) {
            spm = GgufTokenizerLoader.load(f);
        }
        List<Tokenizer> all = List.of(spm,
                Gpt2FilesLoader.load(TestData.path("tokenizers/gpt2/vocab.json"), TestData.path("tokenizers/gpt2/merges.txt")),
                TiktokenLoader.load(TestData.path("tokenizers/tiktoken/cl100k_base.tiktoken")),
                TokenizerJsonLoader.load(TestData.path("tokenizers/hf-qwen3/tokenizer.json")));
        for (Tokenizer t : all) {
            long t0 = System.nanoTime();
            int n = t.encode(text).length;
            double cold = (System.nanoTime() - t0) / 1e9;
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long s = System.nanoTime();
                t.encode(text);
                best = Math.min(best, (System.nanoTime() - s) / 1e9);
            }
            System.out.printf("%-60s %8d tokens  cold %6.2f MB/s  warm %6.2f MB/s (%.0f tokens/s)%n",
                    t, n, mb / cold, mb / best, n / best);
        }
    }
}
