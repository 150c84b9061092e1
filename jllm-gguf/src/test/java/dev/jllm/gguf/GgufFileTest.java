package dev.jllm.gguf;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {

    @TempDir Path tmp;

    @Test
    void readsStories260kAsWrittenByLlamaCpp() throws Exception {
        try (GgufFile f = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(32, f.alignment());
            assertEquals(19, f.metadata().size());
            assertEquals(48, f.tensors().size());
            assertEquals("llama", f.getString("general.architecture"));
            assertEquals("llama", f.getString("tokenizer.ggml.model"));
            assertEquals(128, f.getLong("llama.context_length", -1)); // the converter wrote 128 (see PROVENANCE)
            assertEquals(64, f.getLong("llama.embedding_length", -1));
            assertEquals(172, f.getLong("llama.feed_forward_length", -1));
            assertEquals(5, f.getLong("llama.block_count", -1));
            assertEquals(8, f.getLong("llama.attention.head_count", -1));
            assertEquals(4, f.getLong("llama.attention.head_count_kv", -1));
            assertEquals(1e-5, f.getDouble("llama.attention.layer_norm_rms_epsilon", 0), 1e-12);
            GgufArray tokens = f.getArray("tokenizer.ggml.tokens");
            assertEquals(512, tokens.length());
            assertEquals("<unk>", tokens.strings()[0]);
            assertEquals("<s>", tokens.strings()[1]);
            assertEquals("<0x00>", tokens.strings()[3]);
            GgufTensorInfo embd = f.tensor("token_embd.weight");
            assertArrayEquals(new long[] {64, 512}, embd.dims());
            assertEquals(GgmlType.F32, embd.type());
            assertEquals(64L * 512 * 4, embd.byteSize());
            GgufTensorInfo down = f.tensor("blk.4.ffn_down.weight");
            assertArrayEquals(new long[] {172, 64}, down.dims());
            for (GgufTensorInfo t : f.tensors()) {
                assertEquals(0, t.offset() % 32, t.name());
                assertTrue(f.dataOffset() + t.offset() + t.byteSize() <= f.fileSize(), t.name());
            }
        }
    }

    @Test
    void tensorDataMatchesTheLlama2cCheckpointItWasConvertedFrom() throws Exception {
        // The GGUF was made from stories260K.bin by llama.cpp's converter: the embedding is the first
        // F32 array after the 28-byte llama2.c header. This ties our offsets to an outside reference.
        byte[] bin = Files.readAllBytes(TestData.path("models/stories260K.bin"));
        try (GgufFile f = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            MemorySegment embd = f.tensorData(f.tensor("token_embd.weight"));
            MemorySegment ref = MemorySegment.ofArray(bin).asSlice(28, 64L * 512 * 4);
            assertEquals(-1, embd.mismatch(ref));
        }
    }

    @Test
    void writerRoundTripsEveryValueTypeAndTensorBytes() throws Exception {
        Path p = tmp.resolve("rt.gguf");
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.ofString("llama"));
        w.put("u8", new GgufValue(GgufValueType.UINT8, 255));
        w.put("i8", new GgufValue(GgufValueType.INT8, -128));
        w.put("u16", new GgufValue(GgufValueType.UINT16, 65535));
        w.put("i16", new GgufValue(GgufValueType.INT16, -32768));
        w.put("u32", GgufValue.ofUInt32(4294967295L));
        w.put("i32", GgufValue.ofInt32(Integer.MIN_VALUE));
        w.put("f32", GgufValue.ofFloat32(-1.5e-7f));
        w.put("bool", GgufValue.ofBool(true));
        w.put("str", GgufValue.ofString("héllo ▁ 你好 🙂"));
        w.put("u64", new GgufValue(GgufValueType.UINT64, -1L));
        w.put("i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE));
        w.put("f64", new GgufValue(GgufValueType.FLOAT64, Math.PI));
        w.put("arr.str", GgufValue.ofArray(GgufArray.ofStrings("a", "", "<0x0A>")));
        w.put("arr.f32", GgufValue.ofArray(GgufArray.ofFloats(1f, -2f, Float.NaN)));
        w.put("arr.nested", GgufValue.ofArray(new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
            GgufArray.ofInt32(1, 2, 3), new GgufArray(GgufValueType.UINT8, new int[] {7})})));
        w.put("arr.empty", GgufValue.ofArray(GgufArray.ofStrings()));
        w.put("general.alignment", GgufValue.ofUInt32(64));
        float[] a = new float[3 * 5];
        for (int i = 0; i < a.length; i++) a[i] = i * 0.25f - 1;
        byte[] b = new byte[34 * 2]; // two Q8_0 blocks
        for (int i = 0; i < b.length; i++) b[i] = (byte) (i * 7);
        w.addTensor("a", GgmlType.F32, new long[] {5, 3}, MemorySegment.ofArray(a));
        w.addTensor("b", GgmlType.Q8_0, new long[] {64}, MemorySegment.ofArray(b));
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(64, f.alignment());
            assertEquals(18, f.metadata().size());
            assertEquals(new GgufValue(GgufValueType.UINT8, 255), f.get("u8"));
            assertEquals(new GgufValue(GgufValueType.INT8, -128), f.get("i8"));
            assertEquals(new GgufValue(GgufValueType.INT16, -32768), f.get("i16"));
            assertEquals(4294967295L, f.get("u32").value());
            assertEquals("héllo ▁ 你好 🙂", f.getString("str"));
            assertEquals(Math.PI, f.getDouble("f64", 0));
            assertEquals(-1L, f.get("u64").value());
            assertEquals(GgufValue.ofArray(new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
                GgufArray.ofInt32(1, 2, 3), new GgufArray(GgufValueType.UINT8, new int[] {7})})), f.get("arr.nested"));
            assertTrue(Float.isNaN(f.getArray("arr.f32").floats()[2]));
            assertEquals(0, f.getArray("arr.empty").length());
            assertEquals(List.of("a", "b"), f.tensors().stream().map(GgufTensorInfo::name).toList());
            assertEquals(0, f.dataOffset() % 64);
            assertEquals(0, f.tensor("b").offset() % 64);
            float[] back = f.tensorData(f.tensor("a")).toArray(ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN));
            assertArrayEquals(a, back);
            assertArrayEquals(b, f.tensorData(f.tensor("b")).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void rewritingStories260kKeepsMetadataAndTensorsIdentical() throws Exception {
        Path out = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            for (GgufTensorInfo t : f.tensors()) w.addTensor(t.name(), t.type(), t.dims(), f.tensorData(t));
            w.write(out);
            try (GgufFile g = GgufFile.open(out)) {
                assertEquals(f.metadata(), g.metadata());
                assertEquals(f.tensors().size(), g.tensors().size());
                for (GgufTensorInfo t : f.tensors()) {
                    GgufTensorInfo u = g.tensor(t.name());
                    assertArrayEquals(t.dims(), u.dims());
                    assertEquals(t.type(), u.type());
                    assertEquals(-1, f.tensorData(t).mismatch(g.tensorData(u)), t.name());
                }
            }
            // llama.cpp's converter wrote the same layout we write: the files are byte-identical.
            assertEquals(-1, Files.mismatch(f.path(), out));
        }
    }
}
