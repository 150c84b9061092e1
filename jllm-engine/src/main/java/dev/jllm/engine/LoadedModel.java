package dev.jllm.engine;

import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Matmul;
import dev.jllm.model.MemoryPlan;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.ModelFile;
import dev.jllm.model.Transformer;
import dev.jllm.model.Weights;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one model loader: file → tokenizer + weights + compute threads, wired explicitly. The CLI makes
 * a {@link Transformer} with a one-sequence KV cache from it ({@link #transformer}); the server hands
 * the weights to a {@link Scheduler}, which owns its own paged cache.
 */
public final class LoadedModel implements AutoCloseable {
    public final ModelFile file;
    public final Tokenizer tokenizer;
    public final Weights weights;
    public final Matmul matmul;

    private LoadedModel(ModelFile file, Tokenizer tokenizer, Weights weights, Matmul matmul) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.matmul = matmul;
    }

    /**
     * @param model     a GGUF file, or a llama2.c checkpoint together with {@code tokenizer}
     * @param tokenizer a tokenizer file in any form {@link Tokenizers#open} reads (a llama2.c {@code tokenizer.bin} for a
     *                  llama2.c checkpoint), or null to use the GGUF's own vocabulary
     * @param threads   compute threads for the matrix products
     */
    public static LoadedModel open(Path model, Path tokenizer, int threads) throws IOException {
        return open(model, tokenizer, threads, false);
    }

    /**
     * With LoRA adapters (GGUF, llama.cpp's layout) merged into the weights, each at {@code scale}
     * (llama.cpp's {@code --lora-scaled}; 1 = as trained).
     */
    public static LoadedModel open(Path model, Path tokenizer, int threads, java.util.List<Path> adapters, float scale) throws IOException {
        LoadedModel m = open(model, tokenizer, threads, false);
        if (adapters.isEmpty()) return m;
        try {
            Weights w = m.weights;
            for (Path a : adapters) {
                try {
                    w = w.withAdapter(dev.jllm.model.LoraAdapter.read(a), scale);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(a + ": " + e.getMessage(), e);
                }
            }
            return new LoadedModel(m.file, m.tokenizer, w, m.matmul);
        } catch (IOException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    private static LoadedModel open(Path model, Path tokenizer, int threads, boolean ggufOnly) throws IOException {
        if (threads < 1) throw new IllegalArgumentException("-t/--threads must be >= 1, got " + threads);
        ModelFile file = ModelFile.open(model);
        try {
            Tokenizer tok;
            if (ggufOnly && file.gguf() == null) {
                throw new IllegalArgumentException(model + " is a llama2.c checkpoint, not a GGUF model with a vocabulary: convert it first with"
                        + " 'jllm convert " + model + " OUT.gguf --tokenizer tokenizer.bin'");
            }
            if (tokenizer != null) {
                tok = Tokenizers.open(tokenizer, file.config().vocabSize());
            } else if (file.gguf() != null) {
                tok = GgufTokenizerLoader.load(file.gguf());
            } else {
                throw new IllegalArgumentException(model + " is a llama2.c checkpoint without a vocabulary: pass --tokenizer tokenizer.bin");
            }
            Weights weights = new Weights(file);
            return new LoadedModel(file, tok, weights, new Matmul(threads));
        } catch (IOException | RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /** A GGUF model with its own vocabulary (what serving needs); a llama2.c checkpoint is refused with the command that converts it. */
    public static LoadedModel openGguf(Path model, int threads) throws IOException {
        return open(model, null, threads, true);
    }

    public ModelConfig config() {
        return file.config();
    }

    /**
     * A forward pass with a KV cache for one sequence of {@code ctx} tokens (0 = the model's trained
     * context), blocks of {@link MemoryPlan#KV_BLOCK_TOKENS}.
     */
    public Transformer transformer(GgmlType cacheType, int ctx) {
        int n = ctx > 0 ? ctx : config().contextLength();
        return new Transformer(weights, new KvCacheManager(config(), cacheType, MemoryPlan.KV_BLOCK_TOKENS,
                MemoryPlan.minKvBlocks(n, MemoryPlan.KV_BLOCK_TOKENS)), matmul);
    }

    /** {@code --cache-type}: f16 (default, as llama.cpp) or f32. */
    public static GgmlType cacheType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f16" -> GgmlType.F16;
            case "f32" -> GgmlType.F32;
            default -> throw new IllegalArgumentException("--cache-type must be f16 or f32, got '" + name + "'");
        };
    }

    @Override
    public void close() {
        matmul.close();
        file.close();
    }
}
