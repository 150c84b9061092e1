package dev.jllm.train.pref;

import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.model.ModelFile;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.LoraConfig;
import dev.jllm.train.LoraParams;
import dev.jllm.train.ModelIO;
import dev.jllm.train.Params;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reward model: the llama backbone and a {@link ScalarHead} on the final hidden state of the last
 * token of prompt + answer. Stored as one GGUF: the backbone's tensors as any jllm model (an adapter
 * merged in), plus {@value #HEAD}{@code .weight} (C×1, F32) and {@value #HEAD}{@code .bias} (1, F32),
 * and the metadata key {@value #KEY} naming the head. The engine ignores the extra tensors, so the
 * file still generates text; {@code jllm rm score} and {@code jllm ppo --reward-model} read it whole.
 */
public final class RewardModel {
    public static final String HEAD = "rm_head";
    /** Metadata: the head's tensor prefix ({@value #HEAD}); its presence marks a reward model. */
    public static final String KEY = "jllm.reward_model.head";
    /** Metadata: where the head reads (always {@code last_token}: the final hidden state of the last token). */
    public static final String POOLING_KEY = "jllm.reward_model.pooling";

    public final LlamaModel model;
    public final ScalarHead head;

    public RewardModel(LlamaModel model, ScalarHead head) {
        if (head.dim != model.config.dim()) throw new IllegalArgumentException("the head is for width " + head.dim + ", the model's is " + model.config.dim());
        this.model = model;
        this.head = head;
    }

    /** Scores of one forward pass over {@code b}'s rows (B): the head on each row's last token. */
    public double[] score(PairBatch b) {
        model.forward(b.inputs, b.targets, b.B, b.T);
        double[] s = new double[b.B];
        for (int r = 0; r < b.B; r++) s[r] = head.forward(model.hidden(), r * b.T + b.last[r]);
        return s;
    }

    /** Scores of many sequences, {@code batch} at a time. */
    public double[] score(List<int[]> sequences, int[] prompts, int batch) {
        double[] out = new double[sequences.size()];
        for (int from = 0; from < sequences.size(); from += batch) {
            int to = Math.min(sequences.size(), from + batch);
            double[] s = score(PairBatch.rows(sequences.subList(from, to), java.util.Arrays.copyOfRange(prompts, from, to)));
            System.arraycopy(s, 0, out, from, s.length);
        }
        return out;
    }

    /** Reads a reward model GGUF (backbone fp32 + head); refuses a file without the head, saying how to make one. */
    public static RewardModel load(Path path, Parallel pool) throws IOException {
        ModelIO.Loaded loaded = ModelIO.load(path, true);
        ScalarHead head = new ScalarHead(HEAD, loaded.params().config.dim());
        try (ModelFile f = ModelFile.open(path)) {
            GgufTensorInfo w = f.tensor(HEAD + ".weight"), b = f.tensor(HEAD + ".bias");
            if (w == null || b == null || !f.metadata().containsKey(KEY)) {
                throw new IllegalArgumentException(path + " is not a jllm reward model (no " + HEAD + ".weight/.bias tensors and " + KEY
                        + " key); train one with: jllm rm train --model BASE.gguf --data pairs.jsonl --out rm.gguf");
            }
            if (w.elementCount() != head.dim || b.elementCount() != 1) throw new IllegalArgumentException(path + ": the reward head does not match the model's width " + head.dim);
            BlockFormats.of(w.type()).dequantize(f.tensorData(w), 0, head.w, 0, head.dim);
            BlockFormats.of(b.type()).dequantize(f.tensorData(b), 0, head.b, 0, 1);
        }
        return new RewardModel(LlamaModel.forInference(loaded.params(), pool), head);
    }

    /**
     * Writes base (with {@code lora} merged: W + s·B·A, into a copy) + head as one F32 GGUF.
     *
     * @param lora the trained adapter, or null (full training: {@code base} holds the trained weights)
     */
    public static void save(Path out, Params base, LoraParams lora, Map<String, GgufValue> metadata, ScalarHead head) throws IOException {
        Params p = lora == null ? base : merged(base, lora);
        Map<String, GgufValue> meta = new LinkedHashMap<>(metadata);
        meta.put(KEY, GgufValue.ofString(HEAD));
        meta.put(POOLING_KEY, GgufValue.ofString("last_token"));
        List<Params.Tensor> extra = new ArrayList<>();
        extra.add(new Params.Tensor(HEAD + ".weight", new long[] {head.dim, 1}, head.w));
        extra.add(new Params.Tensor(HEAD + ".bias", new long[] {1}, head.b));
        ModelIO.export(p, meta, "jllm-reward-model", out, extra);
    }

    /** A copy of {@code base} with the adapter merged: W += s·B·A for every adapted matrix. */
    public static Params merged(Params base, LoraParams lora) {
        Params p = new Params(base.config);
        for (int i = 0; i < p.tensors().size(); i++) {
            float[] src = base.tensors().get(i).data();
            System.arraycopy(src, 0, p.tensors().get(i).data(), 0, src.length);
        }
        int r = lora.config.rank();
        float s = lora.config.scale();
        for (int l = 0; l < base.config.nLayers(); l++) {
            for (LoraConfig.Target t : lora.config.orderedTargets()) {
                LoraParams.Pair pr = lora.pair(l, t);
                float[] w = p.get(t.model().ggufWeight(l));
                for (int o = 0; o < pr.out(); o++) {
                    for (int k = 0; k < r; k++) {
                        float bk = s * pr.b()[o * r + k];
                        if (bk == 0) continue;
                        for (int i = 0; i < pr.in(); i++) w[o * pr.in() + i] += bk * pr.a()[k * pr.in() + i];
                    }
                }
            }
        }
        return p;
    }
}
