package dev.jllm.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** F32: 4 bytes per weight, little-endian IEEE 754. No blocks. */
public final class F32Format implements BlockFormat {
    public static final F32Format INSTANCE = new F32Format();
    static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private F32Format() {}

    @Override public GgmlType type() { return GgmlType.F32; }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        MemorySegment.copy(src, LE, offset, dst, dstOff, n);
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        int upper = S.loopBound(n);
        for (; i < upper; i += S.length()) {
            FloatVector wv = FloatVector.fromMemorySegment(S, w, offset + 4L * i, ByteOrder.LITTLE_ENDIAN);
            acc = wv.fma(FloatVector.fromArray(S, x, xOff + i), acc);
        }
        float s = VectorMath.sum(acc);
        for (; i < n; i++) s += w.get(LE, offset + 4L * i) * x[xOff + i];
        return s;
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        MemorySegment.copy(src, srcOff, dst, LE, offset, n);
    }
}
