package dev.jllm.model;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every expected number here is worked out by hand in the comments, not taken from the code. */
class MemoryPlanTest {

    // Llama-3.2-1B: d 2048, h 8192, L 16, 32 heads, 8 KV heads, hd 64, V 128256, tied embeddings.
    static final ModelConfig LLAMA_1B = new ModelConfig("llama", 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5f, 500000f, true);

    @Test
    void stories260kCheckpoint() throws Exception {
        try (ModelFile m = ModelFile.open(TestData.path("models/stories260K.bin"))) {
            ModelConfig c = m.config();
            // embedding 512·64 = 32768; per layer: norms 2·64, q 64·64 = 4096, k,v 64·32 = 2048 each,
            // o 4096, gate/up/down 64·172 = 11008 each → 128 + 4096 + 4096 + 4096 + 33024 = 45440;
            // 5 layers = 227200; final norm 64; tied output → 32768 + 227200 + 64 = 260032.
            assertEquals(260_032, m.parameterCount());
            assertEquals(47, m.tensors().size());
            assertTrue(c.tiedEmbeddings());
            // F32: 260032 · 4
            assertEquals(1_040_128, MemoryPlan.weightBytes(m.tensors(), GgmlType.F32).bytes());
            // F16: matrices (260032 − 5·128 − 64 = 259328) · 2 + 704 norm floats · 4 = 518656 + 2816
            assertEquals(521_472, MemoryPlan.weightBytes(m.tensors(), GgmlType.F16).bytes());
            // Q8_0: embedding 32768/32·34 = 34816; per layer: norms 2·256, q,o 4096/32·34 = 4352 each,
            // k,v 2048/32·34 = 2176 each, gate,up 11008/32·34 = 11696 each, down has rows of 172 (not a
            // multiple of 32) → F16 11008·2 = 22016; layer = 512 + 8704 + 4352 + 23392 + 22016 = 58976;
            // ·5 = 294880; + final norm 256 → 34816 + 294880 + 256 = 329952
            MemoryPlan.WeightEstimate q8 = MemoryPlan.weightBytes(m.tensors(), GgmlType.Q8_0);
            assertEquals(329_952, q8.bytes());
            assertEquals(5, q8.fallbackTensors());
            // Q4_0: embedding 1024 blocks·18 = 18432; layer: 512 + 2·2304 + 2·1152 + 2·6192 + 22016 = 41824;
            // ·5 = 209120; + 256 → 227808
            assertEquals(227_808, MemoryPlan.weightBytes(m.tensors(), GgmlType.Q4_0).bytes());
            // KV per token: 2 · 5 layers · 4 kv heads · 8 · 4 bytes = 1280 (F32), 640 (F16)
            assertEquals(1280, MemoryPlan.kvBytesPerToken(c, GgmlType.F32));
            assertEquals(640, MemoryPlan.kvBytesPerToken(c, GgmlType.F16));
            // at ctx 512, batch 4, F16: 640 · 512 · 4
            assertEquals(1_310_720, MemoryPlan.kvBytes(c, GgmlType.F16, 512, 4));
            // LoRA r=8 on all 7: per layer r·[(64+64) + (64+32)·2 + (64+64) + (64+172)·3] = 8·1156 = 9248; ·5 = 46240
            assertEquals(46_240, MemoryPlan.loraParams(c, m.tensors(), 8, Set.of("q", "k", "v", "o", "gate", "up", "down")));
            // r=4 on q,v: 4·(128 + 96)·5 = 4480
            assertEquals(4_480, MemoryPlan.loraParams(c, m.tensors(), 4, Set.of("q", "v")));
            // vocab 512 → 1024, tied: 512 · 64 = 32768
            assertEquals(32_768, MemoryPlan.vocabDelta(c, 1024));
        }
    }

    @Test
    void stories260kGgufHasAnUntiedOutput() throws Exception {
        try (ModelFile m = ModelFile.open(TestData.path("models/stories260K.gguf"))) {
            // llama.cpp's converter wrote output.weight (64·512 = 32768) separately: 260032 + 32768
            assertEquals(292_800, m.parameterCount());
            assertFalse(m.config().tiedEmbeddings());
            // untied: (V' − V)·d·2 = 256 · 64 · 2
            assertEquals(32_768, MemoryPlan.vocabDelta(m.config(), 768));
            assertEquals(128, m.config().contextLength());
        }
    }

    @Test
    void llama32OneBillionShape() {
        List<GgufTensorInfo> t = LlamaLayout.tensors(LLAMA_1B, GgmlType.F32);
        long params = t.stream().mapToLong(GgufTensorInfo::elementCount).sum();
        // embedding 128256·2048 = 262668288; per layer: 2·2048 norms + 2048² (q) + 2·2048·512 (k,v)
        // + 2048² (o) + 3·2048·8192 = 4096 + 4194304 + 2097152 + 4194304 + 50331648 = 60821504;
        // ·16 = 973144064; + 2048 → 1235814400 (Meta's "1.23B")
        assertEquals(1_235_814_400L, params);
        // matrices: 1235814400 − 16·4096 − 2048 = 1235746816 weights = 38617088 blocks of 32;
        // norms: 16·4096 + 2048 = 67584 floats · 4 = 270336 bytes.
        // Q4_0: 38617088 · 18 = 695107584, + 270336
        assertEquals(695_377_920L, MemoryPlan.weightBytes(t, GgmlType.Q4_0).bytes());
        // Q8_0: 38617088 · 34 = 1312980992, + 270336
        assertEquals(1_313_251_328L, MemoryPlan.weightBytes(t, GgmlType.Q8_0).bytes());
        // F16: 1235746816 · 2 = 2471493632, + 270336
        assertEquals(2_471_763_968L, MemoryPlan.weightBytes(t, GgmlType.F16).bytes());
        // KV per token F16: 2 · 16 · 8 · 64 · 2 = 32768 (the well-known 32 KiB/token); ctx 8192 · batch 2
        assertEquals(32_768, MemoryPlan.kvBytesPerToken(LLAMA_1B, GgmlType.F16));
        assertEquals(536_870_912L, MemoryPlan.kvBytes(LLAMA_1B, GgmlType.F16, 8192, 2));
        // LoRA r=16 on q,k,v,o: per layer 16·[(2048+2048) + 2·(2048+512) + (2048+2048)] = 16·13312 = 212992; ·16
        assertEquals(3_407_872L, MemoryPlan.loraParams(LLAMA_1B, t, 16, Set.of("q", "k", "v", "o")));
        // the seed's case, as `jllm info --lora-rank 64 --lora-targets q,v` prints it for a LLaMA-2-7B shape:
        // 64·(4096+4096)·2·32 = 33,554,432 = 0.50% of 6,738,415,616 (32·(4·4096² + 3·4096·11008 + 2·4096) + 2·32000·4096 + 4096)
        ModelConfig llama2 = new ModelConfig("llama", 4096, 11008, 32, 32, 32, 128, 32000, 4096, 1e-5f, 10000f, false);
        var t7 = LlamaLayout.tensors(llama2, GgmlType.F16);
        long p7 = 0;
        for (var x : t7) p7 += x.elementCount();
        assertEquals(6_738_415_616L, p7);
        assertEquals(33_554_432L, MemoryPlan.loraParams(llama2, t7, 64, Set.of("q", "v")));
        assertEquals("0.50", String.format(java.util.Locale.ROOT, "%.2f", 100.0 * 33_554_432L / p7));
        // vocab 128256 → 32000, tied: −96256 · 2048
        assertEquals(-197_132_288L, MemoryPlan.vocabDelta(LLAMA_1B, 32000));
    }

    @Test
    void theRepackedCopyIsCountedWhereThisCpuRepacks() {
        // Llama-3.2-1B Q4_0: every matrix (1,235,746,816 weights: all params but the 16·2 + 1 norm
        // vectors of 2048) repacks at 16 rows × 32 columns per 32 B of half scales + 256 B of nibbles
        // = 0.5625 B/weight (the file's size) → 695,107,584 B; without 8- or 16-lane vectors nothing is repacked
        List<GgufTensorInfo> t = LlamaLayout.tensors(LLAMA_1B, GgmlType.Q4_0);
        long want = dev.jllm.tensor.PackedMatrix.supports(GgmlType.Q4_0, 16, 32) ? 695_107_584L : 0L;
        assertEquals(want, MemoryPlan.repackedBytes(t));
        // untied (Llama 2 shape): the token embedding is only looked up, not repacked — the output
        // matrix is; 32000 · 4096 weights of one of the two at 0.5625 B
        List<GgufTensorInfo> u = LlamaLayout.tensors(new ModelConfig("llama", 4096, 11008, 1, 32, 32, 128, 32000, 4096, 1e-5f, 10000f, false),
                GgmlType.Q4_0);
        long layer = 4L * 4096 * 4096 + 3L * 4096 * 11008;
        assertEquals(want == 0 ? 0 : (layer + 32000L * 4096) / 32 * 18, MemoryPlan.repackedBytes(u));
        assertEquals(want == 0 ? 0 : (layer + 32000L * 4096) / 32 * 18, MemoryPlan.replacedBytes(u));
    }

    @Test
    void verdictComparesNeedWithAvailableRam() {
        List<GgufTensorInfo> t = LlamaLayout.tensors(LLAMA_1B, GgmlType.Q4_0);
        MemoryPlan.Request r = new MemoryPlan.Request(4096, 1, 0, Set.of(), 0, GgmlType.F16);
        long weights = 695_377_920L;
        // need = weights + KV 32768·4096 + scratch 4·(128256 + 4·2048 + 2·8192 + 32·4096) + 256 MiB
        long repacked = 695_107_584L; // as repackedBytes below, given explicitly so the test does not depend on the CPU
        // the mapped rows the copy replaces are released after repacking (every matrix row: 1,235,746,816
        // weights · 18/32 B); where this CPU repacks nothing, nothing is released
        long released = dev.jllm.tensor.PackedMatrix.supports(GgmlType.Q4_0, 16, 32) ? 695_107_584L : 0L;
        long need = weights - released + repacked + 134_217_728L + 4L * (128256 + 8192 + 16384 + 131072) + (256L << 20);
        Map<String, MemoryPlan.Item> fits = MemoryPlan.byKey(MemoryPlan.items(LLAMA_1B, t, weights, repacked, r, 8L << 30, 4L << 30));
        assertEquals(released, (long) fits.get("run.released").value());
        assertEquals(need, (long) fits.get("run.need").value());
        assertEquals((4L << 30) - need, (long) fits.get("verdict.headroom").value());
        Map<String, MemoryPlan.Item> tight = MemoryPlan.byKey(MemoryPlan.items(LLAMA_1B, t, weights, repacked, r, 1L << 30, 1L << 29));
        assertTrue(tight.get("verdict.headroom").value() < 0);
    }

    @Test
    void invalidRequestsNameTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MemoryPlan.Request(128, 1, 8, Set.of("qq"), 0, GgmlType.F16));
        assertTrue(e.getMessage().contains("--lora-targets") && e.getMessage().contains("qq"));
        e = assertThrows(IllegalArgumentException.class, () -> new MemoryPlan.Request(0, 1, 0, Set.of(), 0, GgmlType.F16));
        assertTrue(e.getMessage().contains("--ctx"));
    }
}
