package dev.jllm.train;

import dev.jllm.model.ModelConfig;
import dev.jllm.tensor.Parallel;
import java.util.SplittableRandom;

/**
 * Manual probe (not a test): tokens/s of forward + backward + AdamW for a config given as
 * {@code dim layers heads ffn vocab seq batch threads steps [loraRank loraTargets]}: with a LoRA rank the
 * base is frozen and only the adapter trains (as bench_train.py's LoRA mode). The CLI's
 * {@code jllm train} / {@code jllm finetune} print the same number for real runs.
 */
public final class TrainSpeedProbe {
    public static void main(String[] a) {
        int C = Integer.parseInt(a[0]), L = Integer.parseInt(a[1]), NH = Integer.parseInt(a[2]), H = Integer.parseInt(a[3]);
        int V = Integer.parseInt(a[4]), T = Integer.parseInt(a[5]), B = Integer.parseInt(a[6]), threads = Integer.parseInt(a[7]);
        int steps = Integer.parseInt(a[8]);
        ModelConfig c = new ModelConfig("llama", C, H, L, NH, NH, C / NH, V, T, 1e-5f, 10000f, true);
        Params p = new Params(c);
        SplittableRandom r = new SplittableRandom(1);
        for (Params.Tensor t : p.tensors()) for (int i = 0; i < t.size(); i++) t.data()[i] = t.isNorm() ? 1f : (float) (r.nextGaussian() * 0.02);
        int[] x = new int[B * T], y = new int[B * T];
        for (int i = 0; i < x.length; i++) { x[i] = r.nextInt(V); y[i] = r.nextInt(V); }
        LoraParams lora = a.length > 9 ? LoraParams.init(c, new LoraConfig(Integer.parseInt(a[9]), 2f * Integer.parseInt(a[9]),
                LoraConfig.parseTargets(a[10]), false), 1) : null;
        try (Parallel pool = new Parallel(threads)) {
            LlamaModel m = new LlamaModel(p, lora, pool);
            AdamW opt = new AdamW(m.trainable(), 0.9f, 0.95f, 1e-8f, 0.1f, false);
            System.out.printf("params %.2fM, trainable %d%n", p.count() / 1e6, m.trainable().size());
            for (int s = 0; s < steps; s++) {
                long t0 = System.nanoTime();
                m.zeroGrad();
                float loss = m.forward(x, y, B, T);
                long t1 = System.nanoTime();
                m.backward(1f);
                long t2 = System.nanoTime();
                opt.step(m.trainable(), m.trainableGrads(), 1e-3f, pool);
                long t3 = System.nanoTime();
                System.out.printf("step %d loss %.4f fwd %.0f ms bwd %.0f ms opt %.0f ms  %.0f tok/s%n", s, loss, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                        (t3 - t2) / 1e6, B * T / ((t3 - t0) / 1e9));
            }
        }
    }
}
