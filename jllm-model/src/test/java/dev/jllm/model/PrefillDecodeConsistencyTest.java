package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Logits of a prompt run as one batch (tile kernel) equal those of the same prompt decoded token by token. */
class PrefillDecodeConsistencyTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @CsvSource({"llama, F32", "qwen3, F32", "llama, Q8_0", "llama, Q4_0"})
    void batchEqualsTokenByToken(String arch, GgmlType type) throws Exception {
        ModelConfig c = new ModelConfig(arch, 256, 512, 3, 4, 2, 64, 600, 256, 1e-5f, 10000f, true);
        Path model = tmp.resolve(arch + ".gguf");
        RandomModel.write(c, type, 5, 0.08, model, null);
        int n = 40;
        int[] toks = new int[n];
        for (int i = 0; i < n; i++) toks[i] = (i * 37 + 11) % 600;
        try (ModelFile f = ModelFile.open(model); Matmul mm = new Matmul(2)) {
            Transformer tr = new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F32, 16, 16), mm);
            int s1 = tr.cache().allocate();
            List<float[][]> batch = tr.forward(Batch.of(s1, toks, 0, Batch.Logits.ALL));
            int s2 = tr.cache().allocate();
            for (int i = 0; i < n; i++) {
                float[] one = tr.forward(Batch.of(s2, new int[] {toks[i]}, i, Batch.Logits.LAST)).get(0)[0];
                float[] all = batch.get(0)[i];
                for (int v = 0; v < one.length; v++) assertEquals(one[v], all[v], 2e-3f * (1 + Math.abs(one[v])), arch + " " + type + " pos " + i + " v " + v);
            }
        }
    }
}
