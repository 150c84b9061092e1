package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The decode kernels of {@link AttentionKernels} against their plain-loop references: scores of a
 * few rows against keys as they lie in a cache block, and probabilities times strided values.
 * Bounds: two summation orders of hd (or count) float products, each within n·u·Σ|products| of
 * the exact sum (Higham's bound for recursive summation; FMA only tightens it).
 */
class AttentionKernelsTest {
    private static final double U = 0x1p-24;

    @ParameterizedTest(name = "rows {0}, hd {1}, keys {2}")
    @CsvSource({"1, 64, 16", "3, 64, 7", "4, 64, 16", "5, 128, 33", "8, 64, 1", "9, 32, 40", "2, 256, 16"})
    void dotRowsMatchesItsReference(int R, int hd, int count) {
        assumeTrue(AttentionKernels.supports(hd), "hd " + hd + " is not whole " + FloatVector.SPECIES_PREFERRED.length() + "-lane vectors here");
        int kStride = hd * 3 + FloatVector.SPECIES_PREFERRED.length(), kOff = 5, qOff = 7, stride = count + 9, sOff = 2;
        float[] q = QuantTesting.randomRow(R * 31 + hd, qOff + R * hd, 1);
        float[] k = QuantTesting.randomRow(count * 7 + hd, kOff + count * kStride, 1);
        float[] got = new float[sOff + R * stride], want = got.clone();
        java.util.Arrays.fill(got, 42f);
        AttentionKernels.dotRows(q, qOff, R, hd, k, kOff, kStride, count, got, sOff, stride);
        AttentionKernels.dotRowsReference(q, qOff, R, hd, k, kOff, kStride, count, want, sOff, stride);
        for (int r = 0; r < R; r++) {
            for (int j = 0; j < count; j++) {
                double abs = 0;
                for (int d = 0; d < hd; d++) abs += Math.abs(q[qOff + r * hd + d] * k[kOff + j * kStride + d]);
                int at = sOff + r * stride + j;
                assertEquals(want[at], got[at], 2 * hd * U * 1.001 * abs, "row " + r + ", key " + j);
            }
            for (int j = count; j < stride && sOff + r * stride + j < got.length; j++) {
                assertEquals(42f, got[sOff + r * stride + j], "row " + r + ": slot " + j + " past the keys was written");
            }
        }
    }

    @ParameterizedTest(name = "rows {0}, hd {1}, keys {2}")
    @CsvSource({"1, 64, 16", "2, 64, 5", "4, 64, 16", "7, 128, 33", "4, 32, 3", "6, 64, 1"})
    void stridedValuesMatchTheirReference(int R, int hd, int valid) {
        assumeTrue(AttentionKernels.supports(hd), "hd " + hd + " is not whole " + FloatVector.SPECIES_PREFERRED.length() + "-lane vectors here");
        int vStride = hd * 2 + 3, vbOff = 4, stride = valid + 5, sOff = 1, osOff = 6;
        float[] s = QuantTesting.randomRow(R + valid, sOff + R * stride, 1);
        for (int i = 0; i < s.length; i++) s[i] = Math.abs(s[i]); // probabilities
        float[] vb = QuantTesting.randomRow(hd + valid, vbOff + valid * vStride, 1);
        float[] got = QuantTesting.randomRow(3, osOff + R * hd + 2, 1), want = got.clone();
        AttentionKernels.accumulateValues(s, sOff, stride, R, valid, vb, vbOff, vStride, hd, got, osOff);
        AttentionKernels.accumulateValuesReference(s, sOff, stride, R, valid, vb, vbOff, vStride, hd, want, osOff);
        for (int i = 0; i < got.length; i++) {
            int r = (i - osOff) / hd, c = (i - osOff) % hd;
            if (i < osOff || r >= R) { assertEquals(want[i], got[i], 0f, "slot " + i + " outside the rows changed"); continue; }
            double abs = Math.abs(want[i]);
            for (int j = 0; j < valid; j++) abs += Math.abs(s[sOff + r * stride + j] * vb[vbOff + j * vStride + c]);
            assertEquals(want[i], got[i], 2 * (valid + 1) * U * 1.001 * abs, "row " + r + ", column " + c);
        }
    }
}
