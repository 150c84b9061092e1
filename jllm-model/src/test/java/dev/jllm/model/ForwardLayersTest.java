package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.tensor.FloatOps;
import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layer-by-layer path GPTQ streams a model through ({@link Transformer#embed} +
 * {@link Transformer#forwardLayers}, one layer per call, re-running a layer at the same positions)
 * gives the hidden states of one forward pass (to float rounding), and the matmul observer sees every matrix's input
 * once per product with the right widths.
 */
class ForwardLayersTest {
    @TempDir Path tmp;

    @Test
    void layerByLayerEqualsOneForwardPass() throws Exception {
        for (String arch : new String[] {"llama", "qwen2", "qwen3"}) {
            ModelConfig c = new ModelConfig(arch, 128, 256, 3, 4, 2, 32, 600, 256, 1e-5f, 10000f, true);
            Path model = tmp.resolve(arch + ".gguf");
            RandomModel.write(c, GgmlType.F32, 9, 0.08, model, null);
            int n = 48;
            int[] toks = new int[n];
            for (int i = 0; i < n; i++) toks[i] = (i * 53 + 7) % 600;
            try (ModelFile f = ModelFile.open(model); Matmul mm = new Matmul(2)) {
                Transformer tr = new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F32, 16, 8), mm);
                List<String> seen = new ArrayList<>();
                tr.observe((names, x, rows, cols) -> {
                    assertEquals(n, rows);
                    seen.add(String.join("+", names) + ":" + cols);
                });
                float[][] want = tr.forward(Batch.of(tr.cache().allocate(), toks, 0, Batch.Logits.HIDDEN)).get(0);
                tr.observe(null);
                assertEquals("blk.0.attn_q.weight+blk.0.attn_k.weight+blk.0.attn_v.weight:128", seen.get(0));
                assertEquals("blk.0.attn_output.weight:128", seen.get(1));
                assertEquals("blk.0.ffn_gate.weight+blk.0.ffn_up.weight:128", seen.get(2));
                assertEquals("blk.0.ffn_down.weight:256", seen.get(3));
                assertEquals(3 * 4, seen.size()); // no logits were asked for: the output matrix never ran
                float[] x = new float[n * c.dim()];
                tr.embed(toks, x);
                int seq = tr.cache().allocate();
                for (int l = 0; l < c.nLayers(); l++) {
                    float[] copy = x.clone();
                    tr.forwardLayers(seq, 0, copy, n, l, l + 1); // a throwaway pass first, as GPTQ's Hessian passes are
                    tr.forwardLayers(seq, 0, x, n, l, l + 1);
                }
                float[] normed = new float[c.dim()];
                for (int t = 0; t < n; t++) {
                    FloatOps.rmsnorm(normed, 0, x, t * c.dim(), tr.weights().outputNorm, c.dim(), c.rmsEps());
                    // same kernels and order; the thread pool's split of a product may differ between calls (1 ulp seen under load)
                    for (int i = 0; i < normed.length; i++) assertEquals(want[t][i], normed[i], 1e-5f * (1 + Math.abs(want[t][i])), arch + " token " + t);
                }
            }
        }
    }
}
