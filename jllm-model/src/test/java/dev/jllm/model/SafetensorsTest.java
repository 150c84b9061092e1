package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The safetensors writer and reader: the bytes of a tiny file one by one (as the Rust crate's
 * {@code serialize} lays them out: u64 LE header length, compact JSON with __metadata__ first, spaces to
 * an 8-byte boundary, data), alignment for every header length mod 8, the crate's tensor order, F16/BF16
 * rounding, and the reader's validation errors naming the file and the tensor.
 */
class SafetensorsTest {
    @TempDir Path tmp;

    @Test
    void tinyFileByteByByte() throws Exception {
        Path f = tmp.resolve("t.safetensors");
        Safetensors.write(f, Map.of("format", "pt"), List.of(new Safetensors.Tensor("a", Safetensors.Dtype.F32, new long[] {2}, new float[] {1f, -2f})));
        byte[] b = Files.readAllBytes(f);
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertEquals(85, json.length());
        // 85 bytes of JSON padded with three spaces to 88
        byte[] want = new byte[8 + 88 + 8];
        want[0] = 88; // u64 little-endian: 88, 0, 0, 0, 0, 0, 0, 0
        System.arraycopy(json.getBytes(StandardCharsets.US_ASCII), 0, want, 8, 85);
        want[93] = ' ';
        want[94] = ' ';
        want[95] = ' ';
        byte[] data = {0x00, 0x00, (byte) 0x80, 0x3f, 0x00, 0x00, 0x00, (byte) 0xc0}; // 1.0f, -2.0f little-endian
        System.arraycopy(data, 0, want, 96, 8);
        assertArrayEquals(want, b);

        try (Safetensors st = Safetensors.open(f)) {
            assertEquals(Map.of("format", "pt"), st.metadata());
            Safetensors.Info a = st.tensor("a");
            assertEquals(Safetensors.Dtype.F32, a.dtype());
            assertArrayEquals(new long[] {2}, a.shape());
            assertEquals(0, a.begin());
            assertEquals(8, a.end());
            assertArrayEquals(new float[] {1f, -2f}, st.floats(a));
        }
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytesForEveryLength() throws Exception {
        for (int len = 1; len <= 9; len++) {
            String name = "x".repeat(len);
            Path f = tmp.resolve("p" + len + ".safetensors");
            Safetensors.write(f, Map.of("format", "pt"), List.of(new Safetensors.Tensor(name, Safetensors.Dtype.F32, new long[] {1, 1}, new float[] {3f})));
            byte[] b = Files.readAllBytes(f);
            long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, n % 8, "header length " + n);
            String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
            String json = header.stripTrailing();
            assertTrue(json.endsWith("}"), header);
            assertTrue(n - json.length() < 8 && header.substring(json.length()).chars().allMatch(c -> c == ' '), "padding is spaces only, fewer than 8");
            assertEquals(8 + n + 4, b.length, "data follows the header directly");
            assertEquals(3f, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getFloat((int) (8 + n)));
        }
    }

    @Test
    void tensorsAreOrderedAsTheRustCrateDoesAndOffsetsAreContiguous() throws Exception {
        Path f = tmp.resolve("o.safetensors");
        Safetensors.write(f, null, List.of(
                new Safetensors.Tensor("b", Safetensors.Dtype.F32, new long[] {1}, new float[] {1}),
                new Safetensors.Tensor("layers.10.w", Safetensors.Dtype.F32, new long[] {1}, new float[] {2}),
                new Safetensors.Tensor("a", Safetensors.Dtype.F16, new long[] {3}, new float[] {3, 4, 5}),
                new Safetensors.Tensor("A", Safetensors.Dtype.F32, new long[] {2}, new float[] {6, 7}),
                new Safetensors.Tensor("layers.2.w", Safetensors.Dtype.F32, new long[] {1}, new float[] {8}),
                new Safetensors.Tensor("c", Safetensors.Dtype.BF16, new long[] {1}, new float[] {9})));
        byte[] b = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8).stripTrailing();
        // F32 first (descending dtype), names byte-wise ("A" < "b" < "layers.10" < "layers.2"), then BF16, then F16; no __metadata__ when none is given
        assertEquals("{\"A\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"layers.10.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]},"
                + "\"layers.2.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[20,22]},"
                + "\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[22,28]}}", header);
        try (Safetensors st = Safetensors.open(f)) {
            assertEquals(List.of("A", "b", "layers.10.w", "layers.2.w", "c", "a"), st.tensors().stream().map(Safetensors.Info::name).toList());
            assertTrue(st.metadata().isEmpty());
            assertArrayEquals(new float[] {3, 4, 5}, st.floats(st.tensor("a")));
            assertArrayEquals(new float[] {9}, st.floats(st.tensor("c")));
            assertArrayEquals(new float[] {6, 7}, st.floats(st.tensor("A")));
        }
    }

    @Test
    void halfTypesRoundToNearestEven() throws Exception {
        float tieDownBf = 1f + 0x1p-8f;          // halfway between bf16 1.0 (0x3F80) and 1.0078125 (0x3F81): even is 0x3F80
        float tieUpBf = 1f + 3 * 0x1p-8f;        // halfway between 0x3F81 and 0x3F82: even is 0x3F82
        float tieDownF16 = 1f + 0x1p-11f;        // halfway between f16 1.0 (0x3C00) and 0x3C01
        float[] v = {1f, -2f, tieDownBf, tieUpBf, tieDownF16, 65504f};
        Path bf = tmp.resolve("bf.safetensors"), h = tmp.resolve("h.safetensors");
        Safetensors.write(bf, Map.of("format", "pt"), List.of(new Safetensors.Tensor("w", Safetensors.Dtype.BF16, new long[] {6}, v)));
        Safetensors.write(h, Map.of("format", "pt"), List.of(new Safetensors.Tensor("w", Safetensors.Dtype.F16, new long[] {2, 3}, v)));
        short[] bfBits = shorts(bf, 6), hBits = shorts(h, 6);
        assertArrayEquals(new short[] {0x3f80, (short) 0xc000, 0x3f80, 0x3f82, 0x3f80, 0x4780}, bfBits);
        assertArrayEquals(new short[] {0x3c00, (short) 0xc000, 0x3c04, 0x3c0c, 0x3c00, 0x7bff}, hBits);
        try (Safetensors st = Safetensors.open(h)) {
            assertArrayEquals(new long[] {2, 3}, st.tensor("w").shape());
            assertEquals(12, st.tensor("w").end());
            float[] back = st.floats(st.tensor("w"));
            for (int i = 0; i < 6; i++) assertEquals(Float.float16ToFloat(hBits[i]), back[i]);
        }
    }

    private static short[] shorts(Path f, int n) throws IOException {
        byte[] b = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int start = (int) (8 + bb.getLong(0));
        short[] s = new short[n];
        for (int i = 0; i < n; i++) s[i] = bb.getShort(start + 2 * i);
        return s;
    }

    @Test
    void badFilesAreNamedWithTheTensor() throws Exception {
        assertError("short", new byte[] {1, 2, 3}, "short: not a safetensors file: 3 bytes");
        assertError("huge", file("{}", 0, 200_000_000L), "huge: offset 0: header length 200000000 is over the limit");
        assertError("past", file("{}", 0, 64), "past: offset 0: header length 64 runs past the end");
        assertError("nobrace", file("[1]     ", 0, -1), "nobrace: offset 8: the header must start with '{'");
        assertError("syntax", file("{\"a\":}  ", 0, -1), "syntax (header): JSON syntax error at line 1, column 6");
        assertError("dup", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1),
                "duplicate key 'a'");
        assertError("dtype", file("{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, -1), "dtype: tensor 'w': unknown dtype 'F33'");
        assertError("size", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12, -1),
                "size: tensor 'w': F32 [2,2] needs 16 bytes, data_offsets [0, 12] hold 12");
        assertError("hole", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1),
                "hole: tensor 'w': data_offsets [4, 8] should start at 0");
        assertError("tail", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6, -1),
                "tail: the tensors cover 4 bytes of data but the file has 6 after the header");
        assertError("trunc", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, -1), "(truncated?)");
        assertError("meta", file("{\"__metadata__\":{\"format\":1}}", 0, -1), "meta: __metadata__ value of 'format' must be a string");
        // a readable file whose dtype cannot be converted to numbers
        Path ints = tmp.resolve("ints");
        Files.write(ints, file("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, -1));
        try (Safetensors st = Safetensors.open(ints)) {
            IOException e = assertThrows(IOException.class, () -> st.floats(st.tensor("ids")));
            assertTrue(e.getMessage().contains("ints: tensor 'ids' has dtype I64"), e.getMessage());
        }
    }

    /** A file with this header (padded to 8) and {@code dataBytes} zero bytes; {@code n} overrides the length field when ≥ 0. */
    private static byte[] file(String header, int dataBytes, long n) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n >= 0 ? n : padded).put(h);
        for (int i = h.length; i < padded; i++) b.put((byte) ' ');
        return b.array();
    }

    private void assertError(String name, byte[] content, String expected) throws IOException {
        Path f = tmp.resolve(name);
        Files.write(f, content);
        IOException e = assertThrows(IOException.class, () -> Safetensors.open(f).close(), name);
        assertTrue(e.getMessage().contains(expected), e.getMessage() + "\n  should contain: " + expected);
        assertTrue(e.getMessage().contains(name), e.getMessage());
    }

    @Test
    void writerRefusesWhatItCannotWrite() {
        assertThrows(IllegalArgumentException.class, () -> new Safetensors.Tensor("w", Safetensors.Dtype.F32, new long[] {2, 2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> new Safetensors.Tensor("w", Safetensors.Dtype.I32, new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(tmp.resolve("d"), null, List.of(
                new Safetensors.Tensor("w", Safetensors.Dtype.F32, new long[] {1}, new float[1]),
                new Safetensors.Tensor("w", Safetensors.Dtype.F32, new long[] {1}, new float[1]))));
        assertEquals(Safetensors.Dtype.BF16, Safetensors.Dtype.parseFloatType("bf16"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Safetensors.Dtype.parseFloatType("q8_0")).getMessage().contains("f32, bf16, f16"));
        assertEquals("[1,2]", Arrays.toString(new long[] {1, 2}).replace(" ", ""));
    }
}
