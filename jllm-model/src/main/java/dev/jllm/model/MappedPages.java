package dev.jllm.model;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;

/**
 * Gives the resident pages of a memory-mapped range back to the OS once the engine no longer reads
 * them: after a matrix is repacked, its mapped rows would otherwise stay in the process's RSS beside
 * the off-heap copy (Llama-3.2-1B Q4_0: 0.7 GB twice).
 *
 * <p>Why {@link MemorySegment#unload()}: it is the Java SE way to say "not needed" for a mapped
 * segment — {@code madvise(MADV_DONTNEED)} on Linux and macOS (a no-op on Windows), no native
 * binding of our own. The model file is mapped read-only and shared, so dropping its pages loses
 * nothing: the page cache keeps them (reclaimable, not counted in our RSS), and a later read (an
 * embedding lookup of a tied matrix, a LoRA merge) faults in just the pages it touches, with the same
 * bytes. Unmapping the file instead would turn any such read into a crash, and mapping the
 * still-used tensors separately would need one mapping per tensor; a repack cache file would also
 * save the repacking time but leaves a file of the model's size on disk — not done.
 *
 * <p>Only whole pages inside the range are released (the ends are rounded inwards to 4 KiB), so
 * bytes of a neighbouring tensor sharing a page stay put. On a system with larger pages the JDK
 * rounds outwards: the neighbour's page is dropped and faults back in when read, still correct.
 */
final class MappedPages {
    private MappedPages() {}

    static final long PAGE = 4096;

    /**
     * Releases the whole pages of {@code s[from, to)} if {@code s} is a mapped file segment (else, e.g.
     * a matrix built in memory or a llama2.c checkpoint read into memory, does nothing).
     *
     * @return bytes released (0 if the segment is not mapped, the range holds no whole page, or the OS
     *         refused: the pages then just stay resident, as before — a memory cost, not an error)
     */
    static long release(MemorySegment s, long from, long to) {
        if (!s.isMapped() || from < 0 || to > s.byteSize() || to <= from) return 0;
        long base = s.address();
        long start = Math.ceilDiv(base + from, PAGE) * PAGE - base;
        long end = Math.floorDiv(base + to, PAGE) * PAGE - base;
        if (end <= start) return 0;
        try {
            s.asSlice(start, end - start).unload();
            return end - start;
        } catch (UncheckedIOException | UnsupportedOperationException e) {
            return 0;
        }
    }
}
