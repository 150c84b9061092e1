package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * BlockGrid reads every quantized type's blocks as its format's dequantizer does (a·level + b equals the
 * decoded weight), and setLevel changes exactly one weight: what GPTQ relies on to write ordinary blocks.
 */
class BlockGridTest {

    @Test
    void gridMatchesDequantizeAndSetLevelTouchesOneWeight() {
        Random rnd = new Random(5);
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q4_K,
                GgmlType.Q5_K, GgmlType.Q6_K}) {
            assertTrue(BlockGrid.supports(t));
            int n = 512;
            float[] x = new float[n], deq = new float[n], after = new float[n], ab = new float[2];
            for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian() * (1 + i % 5);
            BlockFormat f = BlockFormats.of(t);
            MemorySegment s = MemorySegment.ofArray(new byte[(int) t.rowBytes(n)]);
            f.quantize(x, 0, n, s, 0);
            f.dequantize(s, 0, deq, 0, n);
            long bb = t.rowBytes(t.blockSize);
            for (int i = 0; i < n; i++) {
                long o = (i / t.blockSize) * bb;
                int j = i % t.blockSize;
                int level = BlockGrid.level(t, s, o, j);
                assertTrue(level >= BlockGrid.lo(t) && level <= BlockGrid.hi(t), t + " level " + level);
                BlockGrid.affine(t, s, o, j, ab);
                assertEquals(deq[i], ab[0] * level + ab[1], 1e-5 * (1 + Math.abs(deq[i])), t + " weight " + i);
            }
            for (int trial = 0; trial < 50; trial++) {
                int i = rnd.nextInt(n), j = i % t.blockSize;
                long o = (i / t.blockSize) * bb;
                int lv = BlockGrid.lo(t) + rnd.nextInt(BlockGrid.hi(t) - BlockGrid.lo(t) + 1);
                BlockGrid.setLevel(t, s, o, j, lv);
                assertEquals(lv, BlockGrid.level(t, s, o, j), t + " set/get");
                f.dequantize(s, 0, after, 0, n);
                for (int k = 0; k < n; k++) {
                    if (k != i) assertEquals(deq[k], after[k], t + " weight " + k + " changed by setting " + i);
                }
                BlockGrid.affine(t, s, o, j, ab);
                assertEquals(after[i], ab[0] * lv + ab[1], 1e-5 * (1 + Math.abs(after[i])), t + " new level");
                deq[i] = after[i];
            }
            final GgmlType ft = t;
            assertThrows(IllegalArgumentException.class, () -> BlockGrid.setLevel(ft, s, 0, 0, BlockGrid.hi(ft) + 1));
        }
        assertFalse(BlockGrid.supports(GgmlType.F16));
    }
}
