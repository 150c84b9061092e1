package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jllm.tensor.GgmlType;
import dev.jllm.tensor.PackedMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weights are resident once, not twice: after {@link Weights} repacks the matrices, the model
 * file's mapping holds (almost) no resident pages, read from the kernel's own account of this process
 * ({@code /proc/self/smaps}, the Rss of the file's mapping — what {@code RssFile} in
 * {@code /proc/PID/status} sums). Released pages read again (embedding lookups, the rows past the last
 * group of 16) come back with the same bytes: the logits are bit-identical. Embedding lookups of
 * the tied embedding read the packed copy, so serving does not fault the released rows back in.
 */
class WeightsMemoryTest {

    @TempDir Path tmp;

    /** Q8_0, tied, vocab 1000 (62 groups of 16 + 8 rows left in the file): ~2 MB of matrices. */
    static final ModelConfig C = new ModelConfig("llama", 256, 768, 2, 4, 2, 64, 1000, 64, 1e-5f, 10000f, true);

    @Test
    void repackedRowsAreNotResidentTwice() throws Exception {
        Path smaps = Path.of("/proc/self/smaps");
        assumeTrue(Files.isReadable(smaps), "needs Linux's /proc/self/smaps to read this process's resident pages per mapping");
        assumeTrue(PackedMatrix.supports(GgmlType.Q8_0, 256, 256), "this CPU has no 16-lane vectors: nothing is repacked, nothing released");
        Path file = tmp.resolve("m.gguf");
        RandomModel.write(C, GgmlType.Q8_0, 3, file, null);
        long size = Files.size(file);
        try (ModelFile f = ModelFile.open(file)) {
            // the measurement sees the mapping: read every tensor once, as repacking does
            long sum = 0;
            for (var t : f.tensors()) {
                MemorySegment s = f.tensorData(t);
                for (long o = 0; o < s.byteSize(); o += 512) sum += s.get(ValueLayout.JAVA_BYTE, o);
            }
            long touched = mappedRss(smaps, file);
            assertTrue(touched >= size * 9 / 10, "all " + size + " bytes read, but the mapping's Rss is " + touched + " (" + sum + ")");

            Weights w = new Weights(f);
            long after = mappedRss(smaps, file);
            assertTrue(after <= size / 5, "the file's mapping keeps " + after + " resident bytes of " + size
                    + " beside the repacked copies: both copies of the weights stay resident");
            assertTrue(w.mappedBytesReleased() >= size * 8 / 10, "released " + w.mappedBytesReleased() + " of " + size);

            try (Matmul mm = new Matmul(2)) {
                // tokens in 4 different 64 KiB windows of the embedding (the kernel's fault-around maps a
                // window per fault): looked up from the packed copy, none of them reads the file; the
                // output product reads its 8 rows past the last group from the file (one window)
                int[] toks = {1, 300, 600, 900};
                float[] a = logits(w, mm, toks);
                long grown = mappedRss(smaps, file) - after;
                assertTrue(grown <= 96 * 1024, "a forward pass brought " + grown + " bytes of the file back: embedding lookups read the"
                        + " released rows instead of the packed copy");
                // drop every page, then run again: tail rows and embedding rows fault back in, unchanged
                for (var t : f.tensors()) MappedPages.release(f.tensorData(t), 0, f.tensorData(t).byteSize());
                assertArrayEquals(a, logits(w, mm, toks), "logits after the pages were released and read again");
            }
        }
    }

    @Test
    void mappedPagesReleasesOnlyWholePagesOfMappedSegments() throws Exception {
        MemorySegment heap = MemorySegment.ofArray(new byte[3 * 4096]);
        assertEquals(0, MappedPages.release(heap, 0, heap.byteSize()), "a segment in memory is not a mapping");
        Path file = tmp.resolve("pages.bin");
        Files.write(file, new byte[3 * 4096 + 100]);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined();
             java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            MemorySegment m = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            assertEquals(0, MappedPages.release(m, 10, 5), "empty range");
            assertEquals(0, MappedPages.release(m, 100, 4096 + 50), "no whole page inside");
            assertEquals(2 * 4096, MappedPages.release(m, 100, 3 * 4096 + 50), "pages 1 and 2 (a mapping starts on a page)");
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, 5000), "released pages read back from the file");
        }
    }

    private static float[] logits(Weights w, Matmul mm, int[] toks) {
        Transformer tr = new Transformer(w, new KvCacheManager(C, GgmlType.F32, 16, 4), mm);
        return tr.forward(Batch.of(tr.cache().allocate(), toks, 0, Batch.Logits.LAST)).get(0)[0];
    }

    /** Resident bytes of this process's mappings of {@code file} (smaps' Rss lines under its header). */
    static long mappedRss(Path smaps, Path file) throws Exception {
        String name = " " + file.toRealPath();
        List<String> lines = Files.readAllLines(smaps);
        long kb = 0;
        boolean in = false;
        for (String line : lines) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) in = line.endsWith(name);
            else if (in && line.startsWith("Rss:")) kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return kb * 1024;
    }
}
