package dev.jllm.server;

import dev.jllm.engine.Generation;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.model.Matmul;
import dev.jllm.model.ModelFile;
import dev.jllm.model.Weights;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** stories260K (tiny, context 128) opened once per test class; events collected from a Generation. */
final class TestModel implements AutoCloseable {
    final ModelFile file;
    final Weights weights;
    final Tokenizer tokenizer;
    final Matmul matmul = new Matmul(2);

    TestModel() throws Exception {
        file = ModelFile.open(path("models/stories260K.gguf"));
        weights = new Weights(file);
        tokenizer = GgufTokenizerLoader.load(file.gguf());
    }

    static Path path(String relative) {
        return dev.jllm.testkit.TestData.path(relative);
    }

    /**
     * A random-weight llama big enough that decoding takes milliseconds per token (~27M parameters,
     * Q8_0, context 1024), so a test can act mid-stream: kill the server, or drop the connection.
     * Its synthetic vocabulary has EOS = 2; requests pass {@code ignore_eos} to get exact lengths.
     */
    static Path slowModel(Path dir) throws java.io.IOException {
        Path f = dir.resolve("slow-random.gguf");
        if (!Files.exists(f)) {
            dev.jllm.model.RandomModel.write(new dev.jllm.model.ModelConfig("llama", 512, 1536, 8, 8, 8, 64, 1024, 1024, 1e-5f, 10000f, true),
                    dev.jllm.tensor.GgmlType.Q8_0, 7, f, null);
        }
        return f;
    }

    /** Everything one generation produced. */
    record Outcome(GenerationEvent.Started started, String streamed, GenerationEvent terminal) {
        GenerationEvent.Finished finished() {
            if (terminal instanceof GenerationEvent.Finished f) return f;
            throw new AssertionError("expected Finished, got " + terminal);
        }
    }

    static Outcome collect(Generation g) throws InterruptedException {
        GenerationEvent.Started started = null;
        StringBuilder text = new StringBuilder();
        while (true) {
            GenerationEvent e = g.poll(60, TimeUnit.SECONDS);
            if (e == null) throw new AssertionError("no event within 60 s");
            switch (e) {
                case GenerationEvent.Started s -> started = s;
                case GenerationEvent.Text t -> text.append(t.text());
                case GenerationEvent.Finished f -> { return new Outcome(started, text.toString(), f); }
                case GenerationEvent.Failed f -> { return new Outcome(started, text.toString(), f); }
            }
        }
    }

    @Override
    public void close() {
        matmul.close();
        file.close();
    }
}
