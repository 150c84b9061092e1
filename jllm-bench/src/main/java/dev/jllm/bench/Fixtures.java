package dev.jllm.bench;

import dev.jllm.tensor.BlockFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Shared benchmark inputs: random weight matrices in a block format, and the repository's testdata/. */
final class Fixtures {
    private Fixtures() {}

    /** Gaussian-ish floats (sum of uniforms, std ≈ 1) with a few outliers, like trained weights. */
    static float[] randomRow(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double g = r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5;
            x[i] = (float) (g * (r.nextInt(64) == 0 ? 4 : 1));
        }
        return x;
    }

    /**
     * A rows × cols matrix in {@code f}: 64 distinct quantized rows repeated over the whole matrix
     * (quantizing 16M weights with the reference K-quant quantizers takes minutes; the kernels' speed
     * does not depend on the values). Off-heap, 64-byte aligned like a mapped GGUF tensor.
     */
    static MemorySegment randomMatrix(BlockFormat f, int rows, int cols) {
        long rb = f.rowBytes(cols);
        MemorySegment w = Arena.ofAuto().allocate(rb * rows, 64);
        int distinct = Math.min(64, rows);
        for (int r = 0; r < distinct; r++) f.quantize(randomRow(r, cols), 0, cols, w, r * rb);
        for (int r = distinct; r < rows; r++) MemorySegment.copy(w, (r % distinct) * rb, w, r * rb, rb);
        return w;
    }

    /** A file under testdata/ (-Djllm.testdata, else found by walking up from the working directory). */
    static Path testdata(String relative) {
        String prop = System.getProperty("jllm.testdata");
        Path root = null;
        if (prop != null && Files.isDirectory(Path.of(prop))) root = Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); root == null && p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata"))) root = p.resolve("testdata");
        }
        if (root == null) throw new IllegalStateException("testdata/ not found: run from inside the repository or set -Djllm.testdata");
        Path f = root.resolve(relative);
        if (!Files.isRegularFile(f)) throw new IllegalStateException("missing fixture " + f + " (see testdata/PROVENANCE.md)");
        return f;
    }

    /** Relative error check of a fast result against its reference; throws so a broken kernel cannot report a speed. */
    static void check(String what, float[] got, float[] want, int n, double tol) {
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            double d = got[i] - want[i];
            num += d * d;
            den += (double) want[i] * want[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        if (!(rel <= tol)) throw new IllegalStateException(what + ": result differs from the reference (relative error " + rel + ")");
    }
}
