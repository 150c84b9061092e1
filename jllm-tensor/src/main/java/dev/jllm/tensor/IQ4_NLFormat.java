package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ4_NL (ggml block_iq4_nl, 18 bytes per 32 weights — Q4_0's layout with a non-linear grid):
 * <pre>
 *   bytes  0–1   f16 scale d
 *   bytes  2–17  qs[16]: weight j (j &lt; 16) is the LOW nibble of qs[j], weight j+16 the HIGH nibble;
 *                weight = d · kvalues_iq4nl[nibble], kvalues_iq4nl = {−127, −104, −83, −65, −49, −35,
 *                −22, −10, 1, 13, 25, 38, 53, 69, 89, 113} (denser near 0, like the weights)
 * </pre>
 * dequantize_row_iq4_nl. Quantized as llama-quantize does, by quantize_iq4_nl (with or without an
 * imatrix: {@link IQ4Math#quantize}, a weighted least-squares scale tried at 15 grid offsets).
 * ggml's quantize_row_iq4_nl_ref (ntry −1, used by ggml-cpu for activations, never for model files)
 * skips that search; jllm never writes it, so {@link #quantize(float[], int, int, MemorySegment, long)}
 * is quantize_iq4_nl without weights, the bytes llama-quantize writes.
 */
public final class IQ4_NLFormat implements BlockFormat {
    public static final IQ4_NLFormat INSTANCE = new IQ4_NLFormat();
    static final int QK = 32, BYTES = 18;

    private IQ4_NLFormat() {}

    @Override public GgmlType type() { return GgmlType.IQ4_NL; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.IQ4_NL);
        for (int b = 0; b < n / QK; b++) {
            long o = offset + (long) b * BYTES;
            float d = QuantMath.f16(src, o);
            int y = dstOff + b * QK;
            for (int j = 0; j < QK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 2 + j) & 0xFF;
                dst[y + j] = d * IQ4Math.KVALUES[q & 0xF];
                dst[y + j + QK / 2] = d * IQ4Math.KVALUES[q >> 4];
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        quantize(src, srcOff, n, null, 0, dst, offset);
    }

    /** quantize_iq4_nl(src, dst, 1, n, quant_weights): each 32-block on its own (the weights need no whole row). */
    @Override
    public void quantize(float[] src, int srcOff, int n, float[] qw, int qwOff, MemorySegment dst, long offset) {
        QuantMath.checkBlocks(n, GgmlType.IQ4_NL);
        byte[] L = new byte[QK];
        float[] scales = new float[1], weight = new float[32];
        for (int b = 0; b < n / QK; b++) {
            IQ4Math.quantize(QK, src, srcOff + b * QK, qw, qwOff + b * QK, dst, offset + (long) b * BYTES, L, scales, weight);
        }
    }

    @Override public boolean usesImportance() { return true; }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        QuantMath.checkBlocks(n, GgmlType.IQ4_NL);
        if (!Simd.OK) return dotReference(w, offset, x, xOff, n);
        return row(w, offset, x, xOff, n / QK);
    }

    /**
     * Σ over blocks of d·Σ level·x: 16 bytes of indices → 16 levels each for the low and high nibbles (one byte shuffle
     * each), one accumulator for the row (its FMA chain has a block's work between links), reduced once at the end in
     * VectorMath.sum's lane order. Vector API calls only, no helper of ours that takes or returns a vector: past C2's
     * inlining node cutoff such a helper stays a call and boxes what crosses it (see {@link RowDotAllocationTest});
     * with 128-bit vectors the per-block helper this replaces did.
     */
    private static float row(MemorySegment w, long offset, float[] x, int xOff, int nb) {
        VectorSpecies<Float> f = Simd.F;
        FloatVector acc = FloatVector.zero(f);
        for (int b = 0; b < nb; b++) {
            long o = offset + (long) b * BYTES;
            int xi = xOff + b * QK;
            ByteVector q = ByteVector.fromMemorySegment(IQ4Math.B16, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = q.and((byte) 0x0F).selectFrom(IQ4Math.TABLE);
            ByteVector hi = q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F) // Simd.shr
                    .selectFrom(IQ4Math.TABLE);
            FloatVector s = FloatVector.zero(f);
            for (int p = 0; p < 16 / Simd.L; p++) {
                s = ((FloatVector) lo.convertShape(VectorOperators.B2F, f, p)).fma(FloatVector.fromArray(f, x, xi + p * Simd.L), s);
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, f, p)).fma(FloatVector.fromArray(f, x, xi + 16 + p * Simd.L), s);
            }
            acc = s.fma(FloatVector.broadcast(f, QuantMath.f16(w, o)), acc);
        }
        FloatVector v = acc;
        float s = v.lane(0);
        for (int l = 1; l < v.length(); l++) s += v.lane(l);
        return s;
    }
}
