package dev.jllm.cli;

import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Matmul;
import dev.jllm.model.ModelFile;
import dev.jllm.model.Transformer;
import dev.jllm.model.Weights;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Llama2cTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Locale;

/** A model opened for running: file, weights, tokenizer, KV cache, thread pool — wired explicitly. */
final class LoadedModel implements AutoCloseable {
    final ModelFile file;
    final Tokenizer tokenizer;
    final Transformer transformer;
    final Matmul matmul;

    LoadedModel(Path model, Path tokenizerPath, int threads, String cacheType, int ctxTokens) throws Exception {
        if (threads < 1) throw new IllegalArgumentException("-t must be >= 1, got " + threads);
        file = ModelFile.open(model);
        try {
            if (tokenizerPath != null) {
                tokenizer = Llama2cTokenizerLoader.load(tokenizerPath, file.config().vocabSize());
            } else if (file.gguf() != null) {
                tokenizer = GgufTokenizerLoader.load(file.gguf());
            } else {
                throw new IllegalArgumentException(model + " is a llama2.c checkpoint without a vocabulary: pass --tokenizer tokenizer.bin");
            }
            GgmlType ct = switch (cacheType.toLowerCase(Locale.ROOT)) {
                case "f16" -> GgmlType.F16;
                case "f32" -> GgmlType.F32;
                default -> throw new IllegalArgumentException("--cache-type must be f16 or f32, got '" + cacheType + "'");
            };
            int ctx = ctxTokens > 0 ? ctxTokens : file.config().contextLength();
            matmul = new Matmul(threads);
            transformer = new Transformer(new Weights(file), new KvCacheManager(file.config(), ct, 16, (ctx + 15) / 16 + 1), matmul);
        } catch (Exception | Error e) {
            file.close();
            throw e;
        }
    }

    @Override
    public void close() {
        matmul.close();
        file.close();
    }
}
