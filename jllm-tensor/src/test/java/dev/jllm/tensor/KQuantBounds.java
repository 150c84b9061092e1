package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Error bounds of the K-quants, read off the stored scales. The last step of each _ref quantizer
 * rounds every weight to the nearest point of its sub-block's grid {d_s·q − m_s : q in range} using
 * the scales as stored, so a weight inside the grid's span is off by at most half a step d_s/2, and
 * one outside it by its distance to the nearest end. On top, the fitted grids must be good: the RMS
 * error over a super-block is at most {@code RMS_BOUND} of the RMS of the weights (the ratio for
 * Gaussian data with an ideal uniform grid of 2^bits levels over ±3σ is about 6/(2^bits·√12)).
 */
final class KQuantBounds {
    private KQuantBounds() {}

    static double worstRmsRatio; // for calibration printouts

    static void check(GgmlType t, float[] x, MemorySegment s, float[] back, int off) {
        int subs = t == GgmlType.Q6_K ? 16 : 8, len = 256 / subs;
        float rmsBound = switch (t) { case Q4_K -> 0.12f; case Q5_K -> 0.06f; case Q6_K -> 0.03f; default -> 0; };
        for (int b = 0; b < x.length / 256; b++) {
            long o = (long) b * t.typeSize;
            double se = 0, sx = 0;
            for (int sb = 0; sb < subs; sb++) {
                float step, lo, hi;
                if (t == GgmlType.Q6_K) {
                    float ds = QuantMath.f16(s, o + 208) * s.get(ValueLayout.JAVA_BYTE, o + 192 + sb);
                    step = Math.abs(ds);
                    lo = Math.min(-32 * ds, 31 * ds);
                    hi = Math.max(-32 * ds, 31 * ds);
                } else {
                    int sm = QuantMath.scaleMinK4(sb, s, o + 4);
                    float ds = QuantMath.f16(s, o) * (sm & 0xFF), ms = QuantMath.f16(s, o + 2) * (sm >> 8);
                    step = ds;
                    lo = -ms;
                    hi = ds * (t == GgmlType.Q4_K ? 15 : 31) - ms;
                }
                for (int i = b * 256 + sb * len; i < b * 256 + (sb + 1) * len; i++) {
                    float outside = Math.max(0, Math.max(lo - x[i], x[i] - hi));
                    float bound = step / 2 * 1.0001f + outside + Math.abs(x[i]) * 1e-6f;
                    ErrorBounds.within(t, i, x[i], back[off + i], bound);
                    se += (double) (x[i] - back[off + i]) * (x[i] - back[off + i]);
                    sx += (double) x[i] * x[i];
                }
            }
            double ratio = Math.sqrt(se / sx);
            worstRmsRatio = Math.max(worstRmsRatio, ratio);
            assertTrue(ratio <= rmsBound, t + " super-block " + b + ": RMS error ratio " + ratio + " > " + rmsBound);
        }
    }
}
