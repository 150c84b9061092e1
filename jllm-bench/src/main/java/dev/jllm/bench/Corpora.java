package dev.jllm.bench;

import dev.jllm.gguf.GgufFile;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.TiktokenLoader;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.TokenizerJsonLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** The encode benchmarks' texts and tokenizers (the same fixtures as jllm-tokenizer's EncodeBench). */
final class Corpora {
    private Corpora() {}

    /** EN = tinyshakespeare (1.1 MB); ZH = ci.song.0.json + poet.tang.0.json (0.8 MB, mostly Han in JSON). */
    static String text(String name) {
        try {
            return switch (name) {
                case "EN" -> Files.readString(Fixtures.testdata("tokenizers/corpora/tinyshakespeare.txt"));
                case "ZH" -> Files.readString(Fixtures.testdata("tokenizers/corpora/ci.song.0.json"))
                        + Files.readString(Fixtures.testdata("tokenizers/corpora/poet.tang.0.json"));
                default -> throw new IllegalArgumentException("unknown corpus " + name + "; known: EN, ZH");
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A freshly loaded jllm tokenizer (its word cache empty). */
    static Tokenizer jllm(String name) {
        try {
            return switch (name) {
                case "cl100k_base", "o200k_base" -> TiktokenLoader.load(Fixtures.testdata("tokenizers/tiktoken/" + name + ".tiktoken"));
                case "qwen3" -> TokenizerJsonLoader.load(Fixtures.testdata("tokenizers/hf-qwen3/tokenizer.json"));
                case "llama-spm" -> {
                    try (GgufFile f = GgufFile.open(Fixtures.testdata("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf"))) {
                        yield GgufTokenizerLoader.load(f);
                    }
                }
                default -> throw new IllegalArgumentException("unknown tokenizer " + name + "; known: cl100k_base, o200k_base, qwen3, llama-spm");
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
