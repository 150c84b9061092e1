package dev.jllm.model;

import dev.jllm.gguf.GgufFormatException;
import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.BlockGrid;
import dev.jllm.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * GPTQ over a whole model, layer by layer as gptq.py's {@code llama_sequential}: the calibration
 * chunks' hidden states enter layer 0; for each decoder layer the seven matrices are quantized in
 * the reference's true-sequential groups ([q, k, v], [o], [gate, up], [down]), each group's Hessians
 * H = 2·XᵀX/N taken from a forward pass of the layer with the groups before it already quantized;
 * then the layer runs once more, quantized, to give the next layer its inputs. Only one layer's
 * Hessians and the chunks' hidden states are in memory at a time. The forward is the engine's own
 * ({@link Transformer#forwardLayers}); a quantized matrix takes part as its dequantized F32 copy,
 * which is what the quantized file computes (up to the engine's activation rounding).
 *
 * <p>Each matrix is rounded into the type {@link Quantizer#plan} gives it; blocks get their scales
 * from the type's own (importance-weighted, with the calibration's own imatrix diag(H)/2) quantizer
 * ({@link GgufGrid}). Token embedding and output matrix are not GPTQ'd (as in the reference); the
 * caller quantizes them as usual.
 */
public final class GptqRunner {
    private GptqRunner() {}

    /** The reference's knobs: percdamp, blocksize, act-order; true-sequential groups (gptq.py --true-sequential). */
    public record Settings(double damp, int blockSize, boolean actOrder, boolean trueSequential) {
        public Settings {
            if (!(damp > 0) || damp > 1) throw new IllegalArgumentException("--damp must be in (0, 1], got " + damp);
            if (blockSize < 1) throw new IllegalArgumentException("--block-size must be >= 1, got " + blockSize);
        }
    }

    /** One matrix's outcome: output error Σ (w−q)ᵀH(w−q) on the calibration inputs, GPTQ vs rounding each block with the same quantizer. */
    public record MatrixReport(String name, GgmlType type, double gptqError, double roundError, double seconds) {}

    private static final String[][] SEQUENTIAL = {{"attn_q", "attn_k", "attn_v"}, {"attn_output"}, {"ffn_gate", "ffn_up"}, {"ffn_down"}};

    /** Bytes the run holds besides the model: hidden states, one Hessian, the largest matrix in double thrice, its grid. */
    public static long memoryPlan(ModelConfig c, int chunks, int ctx) {
        long hidden = 4L * chunks * ctx * c.dim();
        int maxIn = Math.max(Math.max(c.dim(), c.qDim()), c.hiddenDim());
        long hess = 8L * maxIn * maxIn * 3; // H, and the Cholesky's two scratch copies
        long maxMat = (long) Math.max(c.hiddenDim(), Math.max(c.qDim(), c.dim())) * Math.max(c.dim(), c.hiddenDim());
        return hidden + hess + maxMat * (8 * 3 + 4 * 3);
    }

    /**
     * Quantizes every decoder matrix the plan gives a block type; returns name → finished bytes for
     * {@link Quantizer.Options#precomputed}. {@code chunks}: calibration token chunks (BOS first).
     */
    public static Map<String, MemorySegment> run(ModelFile in, List<Quantizer.Choice> plan, List<int[]> chunks, Settings s, int threads,
                                                 Consumer<MatrixReport> report, Consumer<String> log) throws GgufFormatException {
        Map<String, GgmlType> types = new LinkedHashMap<>();
        for (Quantizer.Choice c : plan) types.put(c.name(), c.to());
        ModelConfig c = in.config();
        int ctx = chunks.get(0).length, d = c.dim();
        Weights w = new Weights(in, false);
        Map<String, MemorySegment> done = new LinkedHashMap<>();
        try (Matmul mm = new Matmul(threads)) {
            Transformer tr = new Transformer(w, new KvCacheManager(c, GgmlType.F32, 16, (ctx + 15) / 16 + 1), mm);
            int seq = tr.cache().allocate();
            float[][] hidden = new float[chunks.size()][];
            for (int i = 0; i < chunks.size(); i++) {
                hidden[i] = new float[ctx * d];
                tr.embed(chunks.get(i), hidden[i]);
            }
            float[] scratch = new float[ctx * d];
            String[][] groups = s.trueSequential() ? SEQUENTIAL
                    : new String[][] {{"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"}};
            for (int l = 0; l < c.nLayers(); l++) {
                long t0 = System.nanoTime();
                for (String[] group : groups) {
                    List<String> names = new ArrayList<>();
                    for (String g : group) {
                        String n = "blk." + l + "." + g + ".weight";
                        GgmlType t = types.get(n);
                        if (t != null && BlockGrid.supports(t)) names.add(n);
                    }
                    if (names.isEmpty()) continue;
                    Hessians hs = new Hessians(names);
                    tr.observe(hs);
                    for (float[] h : hidden) {
                        System.arraycopy(h, 0, scratch, 0, scratch.length);
                        tr.forwardLayers(seq, 0, scratch, ctx, l, l + 1);
                    }
                    tr.observe(null);
                    for (String n : names) {
                        long m0 = System.nanoTime();
                        Matrix m = matrix(w.layers[l], n);
                        double[] H = hs.hessian(n);
                        double[] W = toDouble(m);
                        int cols = m.cols(), rows = m.rows();
                        float[] imp = new float[cols];
                        for (int j = 0; j < cols; j++) imp[j] = (float) (H[j * cols + j] / 2);
                        GgufGrid grid = new GgufGrid(types.get(n), rows, cols, imp);
                        Gptq.Result r = Gptq.run(W, rows, cols, H, grid, s.damp(), s.blockSize(), s.actOrder());
                        double eG = Gptq.outputError(W, r.q(), rows, cols, H);
                        double eR = Gptq.outputError(W, roundToNearest(m, types.get(n), imp), rows, cols, H);
                        done.put(n, grid.bytes());
                        w.layers[l] = replace(w.layers[l], n, dequantized(n, types.get(n), grid.bytes(), rows, cols));
                        report.accept(new MatrixReport(n, types.get(n), eG, eR, (System.nanoTime() - m0) / 1e9));
                    }
                }
                for (float[] h : hidden) tr.forwardLayers(seq, 0, h, ctx, l, l + 1);
                log.accept(String.format(Locale.ROOT, "layer %d/%d done in %.1f s", l + 1, c.nLayers(), (System.nanoTime() - t0) / 1e9));
            }
        }
        return done;
    }

    /** Accumulates Σ xxᵀ per distinct input of the named matrices (q/k/v share one), then H = 2·Σ/N. */
    private static final class Hessians implements Transformer.MatmulObserver {
        final List<String> names;
        final Map<String, double[]> sums = new LinkedHashMap<>();
        final Map<String, String> inputOf = new LinkedHashMap<>();
        final Map<String, Long> tokens = new LinkedHashMap<>();

        Hessians(List<String> names) { this.names = names; }

        @Override
        public void input(String[] tensors, float[] x, int rows, int cols) {
            String key = null;
            for (String t : tensors) if (names.contains(t)) { key = tensors[0]; inputOf.put(t, key); }
            if (key == null) return;
            double[] h = sums.computeIfAbsent(key, k -> new double[cols * cols]);
            tokens.merge(key, (long) rows, Long::sum);
            // upper triangle in float over this call's rows (contiguous inner loop), then into double
            IntStream.range(0, cols).parallel().forEach(i -> {
                float[] g = new float[cols - i];
                for (int t = 0; t < rows; t++) {
                    float xi = x[t * cols + i];
                    if (xi == 0) continue;
                    int o = t * cols + i;
                    for (int j = 0; j < g.length; j++) g[j] += xi * x[o + j];
                }
                for (int j = 0; j < g.length; j++) h[i * cols + i + j] += g[j];
            });
        }

        double[] hessian(String name) {
            String key = inputOf.get(name);
            double[] sum = sums.get(key);
            int n = (int) Math.round(Math.sqrt(sum.length));
            double scale = 2.0 / tokens.get(key);
            double[] h = new double[sum.length];
            for (int i = 0; i < n; i++) for (int j = i; j < n; j++) {
                h[i * n + j] = sum[i * n + j] * scale;
                h[j * n + i] = h[i * n + j];
            }
            return h;
        }
    }

    private static double[] toDouble(Matrix m) {
        double[] out = new double[m.rows() * m.cols()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.format().dequantize(m.data(), r * m.rowBytes(), row, 0, m.cols());
            for (int j = 0; j < m.cols(); j++) out[r * m.cols() + j] = row[j];
        }
        return out;
    }

    /** The same block quantizer without error compensation (what imatrix quantization would write), dequantized. */
    private static double[] roundToNearest(Matrix m, GgmlType t, float[] imp) {
        BlockFormat f = BlockFormats.of(t);
        int cols = m.cols();
        MemorySegment buf = MemorySegment.ofArray(new byte[(int) t.rowBytes(cols)]);
        float[] row = new float[cols], back = new float[cols];
        double[] out = new double[m.rows() * cols];
        for (int r = 0; r < m.rows(); r++) {
            m.format().dequantize(m.data(), r * m.rowBytes(), row, 0, cols);
            f.quantize(row, 0, cols, imp, 0, buf, 0);
            f.dequantize(buf, 0, back, 0, cols);
            for (int j = 0; j < cols; j++) out[r * cols + j] = back[j];
        }
        return out;
    }

    private static Matrix dequantized(String name, GgmlType t, MemorySegment q, int rows, int cols) {
        BlockFormat f = BlockFormats.of(t);
        MemorySegment out = Arena.ofAuto().allocate((long) rows * cols * 4, 64);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            f.dequantize(q, r * t.rowBytes(cols), row, 0, cols);
            MemorySegment.copy(row, 0, out, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * cols * 4, cols);
        }
        return new Matrix(name, BlockFormats.of(GgmlType.F32), out, rows, cols);
    }

    private static Matrix matrix(Weights.Layer L, String name) {
        String k = name.substring(name.indexOf('.', 4) + 1, name.length() - ".weight".length());
        return switch (k) {
            case "attn_q" -> L.wq(); case "attn_k" -> L.wk(); case "attn_v" -> L.wv(); case "attn_output" -> L.wo();
            case "ffn_gate" -> L.gate(); case "ffn_up" -> L.up(); case "ffn_down" -> L.down();
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Weights.Layer replace(Weights.Layer L, String name, Matrix m) {
        String k = name.substring(name.indexOf('.', 4) + 1, name.length() - ".weight".length());
        return new Weights.Layer(L.attnNorm(), k.equals("attn_q") ? m : L.wq(), k.equals("attn_k") ? m : L.wk(), k.equals("attn_v") ? m : L.wv(),
                k.equals("attn_output") ? m : L.wo(), L.bq(), L.bk(), L.bv(), L.qNorm(), L.kNorm(), L.ffnNorm(),
                k.equals("ffn_gate") ? m : L.gate(), k.equals("ffn_up") ? m : L.up(), k.equals("ffn_down") ? m : L.down());
    }
}
