package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import org.junit.jupiter.api.Test;

/**
 * GPTQ's core against the reference algorithm in PyTorch float64 (testdata/golden/gptq-reference.json,
 * made by scripts/golden/gptq_reference.py: gptq.py's fasterquant and min-max Quantizer, AutoGPTQ's
 * static groups under act-order): the same quantized weights on the same W and H, for asymmetric
 * 4-bit groups of 16 with lazy batches of 32, symmetric 4-bit with act-order, and 3-bit groups of 12
 * with batches of 8 (groups straddling batch ends, read from the outer W as the reference does).
 */
class GptqTest {

    /** gptq quant.py's Quantizer (per channel, min-max, not MSE), one instance per group like AutoGPTQ's static groups. */
    static final class MinMaxGrid implements Gptq.Grid {
        final int maxq, groupSize, rows;
        final boolean sym;
        final double[][] scale, zero; // [group][row]

        MinMaxGrid(int bits, boolean sym, int groupSize, int rows, int cols) {
            this.maxq = (1 << bits) - 1;
            this.sym = sym;
            this.groupSize = groupSize;
            this.rows = rows;
            int groups = (cols + groupSize - 1) / groupSize;
            scale = new double[groups][rows];
            zero = new double[groups][rows];
        }

        @Override public int groupSize() { return groupSize; }

        @Override
        public void findParams(int g, double[] w, int rows, int width) {
            for (int r = 0; r < rows; r++) {
                double xmin = 0, xmax = 0;
                for (int j = 0; j < width; j++) {
                    xmin = Math.min(xmin, w[r * width + j]);
                    xmax = Math.max(xmax, w[r * width + j]);
                }
                if (sym) {
                    xmax = Math.max(Math.abs(xmin), xmax);
                    if (xmin < 0) xmin = -xmax;
                }
                if (xmin == 0 && xmax == 0) { xmin = -1; xmax = 1; }
                scale[g][r] = (xmax - xmin) / maxq;
                zero[g][r] = sym ? (maxq + 1) / 2.0 : Math.rint(-xmin / scale[g][r]);
            }
        }

        @Override
        public double quantize(int row, int col, double value) {
            int g = col / groupSize;
            double s = scale[g][row], z = zero[g][row];
            double q = Math.min(maxq, Math.max(0, Math.rint(value / s) + z));
            return s * (q - z);
        }
    }

    /** The golden's input generator (a 64-bit LCG, Knuth's MMIX constants). */
    static final class Lcg {
        long s;

        Lcg(long seed) { s = seed; }

        long uniform() {
            s = s * 6364136223846793005L + 1442695040888963407L;
            return Long.remainderUnsigned(s >>> 33, 2001) - 1000;
        }
    }

    @Test
    void matchesTheReferenceImplementation() throws Exception {
        JsonNode g = new ObjectMapper().readTree(TestData.path("golden/gptq-reference.json").toFile());
        int rows = g.get("rows").asInt(), cols = g.get("cols").asInt(), n = g.get("samples").asInt();
        Lcg lcg = new Lcg(g.get("seed").asLong());
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = lcg.uniform() / 512.0;
        double[] x = new double[n * cols];
        for (int t = 0; t < n; t++) for (int j = 0; j < cols; j++) x[t * cols + j] = j == 5 ? 0 : lcg.uniform() / 1024.0 * (1 + j % 7);
        double[] h = new double[cols * cols];
        for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int t = 0; t < n; t++) s += x[t * cols + i] * x[t * cols + j];
            h[i * cols + j] = 2 * s / n;
        }
        assertEquals(3, g.get("cases").size());
        for (JsonNode c : g.get("cases")) {
            String name = c.get("name").asText();
            MinMaxGrid grid = new MinMaxGrid(c.get("bits").asInt(), c.get("sym").asBoolean(), c.get("groupsize").asInt(), rows, cols);
            Gptq.Result r = Gptq.run(w, rows, cols, h, grid, c.get("damp").asDouble(), c.get("blocksize").asInt(), c.get("actorder").asBoolean());
            int differ = 0;
            double worst = 0;
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) {
                double want = c.get("q").get(i).get(j).asDouble(), got = r.q()[i * cols + j];
                worst = Math.max(worst, Math.abs(want - got));
                if (Math.abs(want - got) > 1e-9) differ++;
            }
            assertEquals(0, differ, name + ": " + differ + " weights differ from the reference, worst by " + worst);
            assertEquals(c.get("loss").asDouble(), r.loss(), 1e-9 * c.get("loss").asDouble(), name + " loss");
            // and the point of it all: less output error than rounding each weight to nearest on the same grid
            MinMaxGrid rtn = new MinMaxGrid(c.get("bits").asInt(), c.get("sym").asBoolean(), c.get("groupsize").asInt(), rows, cols);
            double[] q0 = new double[w.length];
            int gs = c.get("groupsize").asInt();
            for (int gi = 0; gi * gs < cols; gi++) {
                int width = Math.min(gs, cols - gi * gs);
                double[] sl = new double[rows * width];
                for (int i = 0; i < rows; i++) for (int j = 0; j < width; j++) sl[i * width + j] = j + gi * gs == 5 ? 0 : w[i * cols + gi * gs + j];
                rtn.findParams(gi, sl, rows, width);
            }
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) q0[i * cols + j] = rtn.quantize(i, j, w[i * cols + j]);
            double eG = Gptq.outputError(w, r.q(), rows, cols, h), eR = Gptq.outputError(w, q0, rows, cols, h);
            assertTrue(eG < 0.9 * eR, name + ": GPTQ output error " + eG + " vs round-to-nearest " + eR);
        }
    }

    @Test
    void choleskyOfTheInverse() {
        int n = 5;
        double[] a = new double[n * n];
        Lcg lcg = new Lcg(7);
        double[] m = new double[n * n];
        for (int i = 0; i < m.length; i++) m[i] = lcg.uniform() / 100.0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            double s = i == j ? 1 : 0;
            for (int k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
            a[i * n + j] = s;
        }
        double[] u = Gptq.Cholesky.upperOfInverse(a, n);
        // Uᵀ·U·A = I, U upper triangular
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) assertEquals(0, u[i * n + j]);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) {
                double inv = 0;
                for (int l = 0; l < n; l++) inv += u[l * n + i] * u[l * n + k];
                s += inv * a[k * n + j];
            }
            assertEquals(i == j ? 1 : 0, s, 1e-9);
        }
        assertThrows(IllegalArgumentException.class, () -> Gptq.Cholesky.lower(new double[] {1, 2, 2, 1}, 2));
    }
}
