package dev.jllm.gguf;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile and broken files: one clear error naming the problem, never an OOM, a hang or a raw exception. */
class GgufCorruptionTest {

    @TempDir Path tmp;

    private Path write(String name, byte[] bytes) throws Exception {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static ByteBuffer header(int version, long tensors, long kvs) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(version).putLong(tensors).putLong(kvs);
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(u.length).put(u);
    }

    private String failure(Path p) {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void missingFile() {
        assertThrows(NoSuchFileException.class, () -> GgufFile.open(tmp.resolve("nope.gguf")));
    }

    @Test
    void emptyAndNonGgufFiles() throws Exception {
        assertTrue(failure(write("empty.gguf", new byte[0])).contains("empty"));
        String m = failure(write("text.gguf", "hello world, not a model".getBytes()));
        assertTrue(m.contains("not a GGUF file") && m.contains("magic"), m);
        assertTrue(failure(write("short.gguf", new byte[] {'G', 'G'})).contains("too short"));
    }

    @Test
    void unsupportedVersions() throws Exception {
        assertTrue(failure(write("v1.gguf", bytes(header(1, 0, 0)))).contains("version 1"));
        String m = failure(write("v9.gguf", bytes(header(9, 0, 0))));
        assertTrue(m.contains("unsupported GGUF version 9"), m);
        m = failure(write("be.gguf", bytes(header(Integer.reverseBytes(3), 0, 0))));
        assertTrue(m.contains("big-endian"), m);
    }

    @Test
    void truncatedHeaderNamesTheOffset() throws Exception {
        ByteBuffer b = header(3, 0, 1);
        putString(b, "general.architecture");
        b.putInt(GgufValueType.STRING.id).putLong(5).put("lla".getBytes());
        String m = failure(write("trunc.gguf", bytes(b)));
        assertTrue(m.contains("truncated") && m.contains("offset"), m);
    }

    @Test
    void unknownValueTypeNamesTheKey() throws Exception {
        ByteBuffer b = header(3, 0, 1);
        putString(b, "my.key");
        b.putInt(99).putInt(0);
        String m = failure(write("type.gguf", bytes(b)));
        assertTrue(m.contains("'my.key'") && m.contains("unknown value type 99"), m);
    }

    @Test
    void absurdCountsAreRejectedWithoutAllocating() throws Exception {
        String m = failure(write("tc.gguf", bytes(header(3, Long.MAX_VALUE / 2, 0))));
        assertTrue(m.contains("tensor count") && m.contains("impossible"), m);
        m = failure(write("kv.gguf", bytes(header(3, 0, 1L << 40))));
        assertTrue(m.contains("metadata key/value count"), m);
        ByteBuffer b = header(3, 0, 1);
        putString(b, "tokenizer.ggml.tokens");
        b.putInt(GgufValueType.ARRAY.id).putInt(GgufValueType.STRING.id).putLong(1L << 31);
        m = failure(write("arr.gguf", bytes(b)));
        assertTrue(m.contains("tokenizer.ggml.tokens") && m.contains("array length"), m);
        b = header(3, 0, 1);
        b.putLong(1L << 50).put(new byte[64]); // key length, then some bytes so the count check passes
        m = failure(write("str.gguf", bytes(b)));
        assertTrue(m.contains("string length"), m);
    }

    private static ByteBuffer oneTensor(long dim0, int type, long offset, int alignmentOrZero) {
        ByteBuffer b = header(3, 1, alignmentOrZero > 0 ? 1 : 0);
        if (alignmentOrZero > 0) {
            putString(b, "general.alignment");
            b.putInt(GgufValueType.UINT32.id).putInt(alignmentOrZero);
        }
        putString(b, "t");
        b.putInt(1).putLong(dim0).putInt(type).putLong(offset);
        while (b.position() % 32 != 0) b.put((byte) 0);
        b.put(new byte[64]);
        return b;
    }

    @Test
    void tensorProblemsAreNamed() throws Exception {
        String m = failure(write("eof.gguf", bytes(oneTensor(1000, 0, 0, 0))));
        assertTrue(m.contains("'t'") && m.contains("past the end"), m);
        m = failure(write("align.gguf", bytes(oneTensor(4, 0, 3, 0))));
        assertTrue(m.contains("not a multiple of the alignment"), m);
        m = failure(write("ty.gguf", bytes(oneTensor(4, 77, 0, 0))));
        assertTrue(m.contains("unknown ggml type id 77"), m);
        m = failure(write("blk.gguf", bytes(oneTensor(33, 8, 0, 0))));
        assertTrue(m.contains("block size"), m);
        m = failure(write("al.gguf", bytes(oneTensor(4, 0, 0, 3))));
        assertTrue(m.contains("general.alignment"), m);
        ByteBuffer b = header(3, 1, 0);
        putString(b, "t");
        b.putInt(7).put(new byte[64]);
        m = failure(write("dims.gguf", bytes(b)));
        assertTrue(m.contains("7 dimensions"), m);
    }

    /**
     * Seeded fuzz: flip bytes of the real stories260K header (where the parser's decisions are),
     * truncate at random points. Each mutant must load (with every tensor inside the file) or fail
     * with a GgufFormatException; anything else (OOM, index errors, hangs) fails the test.
     */
    @Test
    void fuzzedStories260kOnlyLoadsOrFailsCleanly() throws Exception {
        byte[] orig = Files.readAllBytes(TestData.path("models/stories260K.gguf"));
        long headerEnd;
        try (GgufFile f = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            headerEnd = f.dataOffset();
        }
        SplittableRandom rnd = new SplittableRandom(20261129);
        Path p = tmp.resolve("fuzz.gguf");
        int loaded = 0, rejected = 0;
        for (int iter = 0; iter < 1500; iter++) {
            byte[] m = orig.clone();
            int mode = rnd.nextInt(4);
            if (mode == 3) {
                m = Arrays.copyOf(m, rnd.nextInt(orig.length));
            } else {
                int flips = 1 + rnd.nextInt(mode == 0 ? 1 : 8);
                for (int k = 0; k < flips; k++) {
                    int at = rnd.nextInt((int) headerEnd);
                    m[at] = switch (rnd.nextInt(3)) {
                        case 0 -> (byte) rnd.nextInt(256);
                        case 1 -> (byte) (m[at] ^ (1 << rnd.nextInt(8)));
                        default -> (byte) 0xff;
                    };
                }
            }
            Files.write(p, m);
            try (GgufFile f = GgufFile.open(p)) {
                for (GgufTensorInfo t : f.tensors()) {
                    assertTrue(f.dataOffset() + t.offset() + t.byteSize() <= f.fileSize());
                    f.tensorData(t).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
                }
                loaded++;
            } catch (GgufFormatException e) {
                assertNotNull(e.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 100 && loaded > 10, "loaded " + loaded + ", rejected " + rejected);
    }
}
