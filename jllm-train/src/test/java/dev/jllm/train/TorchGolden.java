package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.ModelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One PyTorch golden case of src/test/resources/torch (written by scripts/golden/make_*_golden.py):
 * {@code NAME.json} (the model and LoRA config, the inputs, the expected numbers) and {@code NAME.bin}
 * (little-endian float32 weights, then float64 gradients, in the order the test reads them).
 */
public final class TorchGolden {
    public final String name;
    public final JsonNode meta;
    private final ByteBuffer bin;

    private TorchGolden(String name, JsonNode meta, byte[] bin) {
        this.name = name;
        this.meta = meta;
        this.bin = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static TorchGolden load(String name) throws IOException {
        try (InputStream j = TorchGolden.class.getResourceAsStream("/torch/" + name + ".json");
             InputStream b = TorchGolden.class.getResourceAsStream("/torch/" + name + ".bin")) {
            if (j == null || b == null) throw new IllegalStateException("golden files for " + name + " are missing from src/test/resources/torch");
            return new TorchGolden(name, new ObjectMapper().readTree(j), b.readAllBytes());
        }
    }

    /** The llama config of {@code meta.config} (context 64: the cases are short). */
    public ModelConfig config() {
        JsonNode c = meta.get("config");
        return new ModelConfig("llama", c.get("dim").asInt(), c.get("hidden").asInt(), c.get("layers").asInt(),
                c.get("heads").asInt(), c.get("kv_heads").asInt(), c.get("head_dim").asInt(), c.get("vocab").asInt(), 64,
                (float) c.get("eps").asDouble(), (float) c.get("rope_theta").asDouble(), c.get("tied").asBoolean());
    }

    /** The adapter config of {@code meta.config.lora}. */
    public LoraConfig loraConfig() {
        JsonNode lc = meta.get("config").get("lora");
        List<String> targets = new ArrayList<>();
        lc.get("targets").forEach(t -> targets.add(t.asText()));
        return new LoraConfig(lc.get("rank").asInt(), (float) lc.get("alpha").asDouble(),
                LoraConfig.parseTargets(String.join(",", targets)), lc.get("rslora").asBoolean());
    }

    /** Fills the tensors, in order, from the next float32 values of the .bin file. */
    public void readFloats(List<Params.Tensor> tensors) {
        for (Params.Tensor t : tensors) for (int k = 0; k < t.size(); k++) t.data()[k] = bin.getFloat();
    }

    /** The base weights, then the adapter's (checked against {@code meta.lora_tensors}' names and order). */
    public void readBaseAndAdapter(Params base, LoraParams lora) {
        readFloats(base.tensors());
        assertEquals(meta.get("lora_tensors").size(), lora.tensors().size(), name + ": adapter tensor count");
        for (int i = 0; i < lora.tensors().size(); i++) {
            assertEquals(meta.get("lora_tensors").get(i).get("name").asText(), lora.tensors().get(i).name(), name + ": adapter tensor order");
        }
        readFloats(lora.tensors());
    }

    /** One float64 array per tensor, of its size: the expected gradients. */
    public double[][] readDoubles(List<Params.Tensor> shapes) {
        double[][] g = new double[shapes.size()][];
        for (int i = 0; i < g.length; i++) {
            g[i] = new double[shapes.get(i).size()];
            for (int k = 0; k < g[i].length; k++) g[i][k] = bin.getDouble();
        }
        assertEquals(0, bin.remaining(), "trailing bytes in " + name + ".bin");
        return g;
    }

    public static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    /**
     * Asserts every gradient within {@code tol} of its tensor's largest expected value (absolute where that
     * is 0: a pairwise loss cancels the reward head's bias gradient exactly) and returns the worst relative error.
     */
    public static double assertGradients(double[][] want, List<Params.Tensor> got, double tol, String what) {
        assertEquals(want.length, got.size(), what + ": gradient tensor count");
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            float[] d = got.get(i).data();
            double maxRef = 0, maxDiff = 0;
            for (int k = 0; k < d.length; k++) {
                maxRef = Math.max(maxRef, Math.abs(want[i][k]));
                maxDiff = Math.max(maxDiff, Math.abs(d[k] - want[i][k]));
            }
            double rel = maxRef == 0 ? maxDiff : maxDiff / maxRef;
            worst = Math.max(worst, rel);
            assertTrue(rel < tol, what + ": gradient of " + got.get(i).name() + " off by " + rel);
        }
        return worst;
    }
}
