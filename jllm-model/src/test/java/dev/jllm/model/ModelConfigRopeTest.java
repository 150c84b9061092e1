package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufWriter;
import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ModelConfig.Rope}: read from GGUF metadata with the config, validated, written back, and used by the forward pass. */
class ModelConfigRopeTest {
    @TempDir Path tmp;

    /** A metadata-only GGUF: llama, dim 256, 4 heads (head width 64), plus {@code extra}. */
    private ModelConfig parse(Map<String, GgufValue> extra) throws Exception {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.ofString("llama"));
        w.put("llama.embedding_length", GgufValue.ofUInt32(256));
        w.put("llama.feed_forward_length", GgufValue.ofUInt32(512));
        w.put("llama.block_count", GgufValue.ofUInt32(2));
        w.put("llama.attention.head_count", GgufValue.ofUInt32(4));
        w.put("llama.vocab_size", GgufValue.ofUInt32(300));
        w.putAll(extra);
        Path p = tmp.resolve("m" + System.nanoTime() + ".gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            return ModelConfig.fromGguf(f);
        }
    }

    @Test
    void absentKeysMeanTheWholeHeadUnscaled() throws Exception {
        ModelConfig c = parse(Map.of());
        assertEquals(new ModelConfig.Rope(64, "none", 1f), c.rope());
        assertEquals(ModelConfig.Rope.full(64), c.rope());
        // the constructor without rope gives the same config, so code-built configs equal parsed ones
        assertEquals(new ModelConfig("llama", 256, 512, 2, 4, 4, 64, 300, 2048, 1e-5f, 10000f, true), c);
    }

    @Test
    void partialAndLinearScaledRope() throws Exception {
        ModelConfig c = parse(Map.of("llama.rope.dimension_count", GgufValue.ofUInt32(32),
                "llama.rope.scaling.type", GgufValue.ofString("linear"), "llama.rope.scaling.factor", GgufValue.ofFloat32(4f)));
        assertEquals(new ModelConfig.Rope(32, "linear", 4f), c.rope());
        // the factor counts only for linear scaling
        c = parse(Map.of("llama.rope.scaling.type", GgufValue.ofString("yarn"), "llama.rope.scaling.factor", GgufValue.ofFloat32(4f)));
        assertEquals(new ModelConfig.Rope(64, "yarn", 1f), c.rope());
    }

    @Test
    void invalidSettingsNameTheFileAndTheKey() {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> parse(Map.of("llama.rope.dimension_count", GgufValue.ofUInt32(3))));
        assertTrue(e.getMessage().endsWith(": invalid model config: rope.dimension_count 3 must be even and in 2..64"), e.getMessage());
        e = assertThrows(GgufFormatException.class, () -> parse(Map.of("llama.rope.dimension_count", GgufValue.ofUInt32(128))));
        assertTrue(e.getMessage().contains("rope.dimension_count 128 must be even and in 2..64"), e.getMessage());
        e = assertThrows(GgufFormatException.class, () -> parse(Map.of("llama.rope.scaling.type", GgufValue.ofString("linear"),
                "llama.rope.scaling.factor", GgufValue.ofFloat32(0f))));
        assertTrue(e.getMessage().contains("rope.scaling.factor must be a positive number, got 0.0"), e.getMessage());
    }

    @Test
    void anUnsupportedScalingOpensButDoesNotLoad() throws Exception {
        ModelConfig c = new ModelConfig("llama", 64, 128, 2, 4, 2, 16, 300, 64, 1e-5f, 10000f, true, new ModelConfig.Rope(16, "yarn", 1f));
        Path p = tmp.resolve("yarn.gguf");
        RandomModel.write(c, GgmlType.F32, 3, p, null);
        try (ModelFile f = ModelFile.open(p)) {
            assertEquals(c, f.config()); // written and read back as it was
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> new Weights(f, false));
            assertTrue(e.getMessage().endsWith(": rope.scaling.type 'yarn' is not supported; supported: none, linear, and Llama 3 rope_freqs"),
                    e.getMessage());
        }
    }

    /** Same weights, other RoPE settings: position 0 is not rotated at all, so only later positions may differ. */
    @Test
    void theForwardPassRotatesAsTheConfigSays() throws Exception {
        ModelConfig.Rope[] ropes = {ModelConfig.Rope.full(64), new ModelConfig.Rope(32, "none", 1f), new ModelConfig.Rope(64, "linear", 2f)};
        float[][][] logits = new float[ropes.length][][];
        for (int i = 0; i < ropes.length; i++) {
            ModelConfig c = new ModelConfig("llama", 256, 512, 2, 4, 2, 64, 300, 64, 1e-5f, 10000f, true, ropes[i]);
            Path p = tmp.resolve("rope" + i + ".gguf");
            RandomModel.write(c, GgmlType.F32, 5, 0.08, p, null);
            try (ModelFile f = ModelFile.open(p); Matmul mm = new Matmul(1)) {
                assertEquals(ropes[i], f.config().rope());
                Transformer tr = new Transformer(new Weights(f, false), new KvCacheManager(f.config(), GgmlType.F32, 16, 4), mm);
                logits[i] = tr.forward(Batch.of(tr.cache().allocate(), new int[] {5, 17, 99, 250}, 0, Batch.Logits.ALL)).get(0);
            }
        }
        // Not bit-equality: the Vector API's lane reductions may sum in another order before and after C2
        // compiles them, so the same forward pass run three times in one JVM can differ in the last bit.
        // Position 0 agrees to that rounding; position 3 differs by far more than it.
        for (int i = 1; i < ropes.length; i++) {
            assertTrue(maxAbsDiff(logits[0][0], logits[i][0]) < 1e-5, "position 0, " + ropes[i] + ": " + maxAbsDiff(logits[0][0], logits[i][0]));
            assertTrue(maxAbsDiff(logits[0][3], logits[i][3]) > 1e-3, "position 3 should see " + ropes[i] + ": " + maxAbsDiff(logits[0][3], logits[i][3]));
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
