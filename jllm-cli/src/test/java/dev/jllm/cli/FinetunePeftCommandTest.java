package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.model.LoraAdapter;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.PeftLora;
import dev.jllm.model.Safetensors;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.testkit.TestData;
import dev.jllm.train.LoraConfig;
import dev.jllm.train.LoraParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm finetune export-peft} / {@code import-peft} on stories260K (llama, 8 query heads over 4
 * KV heads): a jllm adapter goes out as PEFT files and comes back bit for bit; the HF-side merge
 * W_hf + (α/r)·B·A of the exported tensors, permuted back to GGUF order, is exactly the q/k that
 * {@code jllm finetune merge} writes; the imported adapter generates what the original does; bad input
 * is one line naming the file and the key.
 */
class FinetunePeftCommandTest {
    @TempDir Path tmp;

    static final String BASE = "models/stories260K.gguf";

    /** A jllm adapter on all targets of stories260K as FineTuner writes it, with B random (a trained adapter's B is not 0). */
    static Path adapter(Path dir, int rank, float alpha) throws Exception {
        ModelConfig c;
        try (GgufFile f = GgufFile.open(TestData.path(BASE))) {
            c = ModelConfig.fromGguf(f);
        }
        LoraParams p = LoraParams.init(c, new LoraConfig(rank, alpha, LoraConfig.parseTargets("all"), false), 42);
        SplittableRandom rnd = new SplittableRandom(43);
        for (int l = 0; l < c.nLayers(); l++) {
            for (LoraConfig.Target t : LoraConfig.Target.values()) {
                float[] b = p.pair(l, t).b();
                for (int i = 0; i < b.length; i++) b[i] = (float) (rnd.nextGaussian() * 0.05);
            }
        }
        Path out = dir.resolve("jllm-lora.gguf");
        p.toAdapter().write(out, Map.of("general.name", GgufValue.ofString("jllm-lora"), "training.steps", GgufValue.ofUInt32(60)));
        return out;
    }

    @Test
    void exportImportRoundTripAndTheMergeMatchesTheHfSide() throws Exception {
        String base = TestData.path(BASE).toString();
        Path adapter = adapter(tmp, 4, 8f), peft = tmp.resolve("peft"), back = tmp.resolve("back.gguf");

        CliTest.Run ex = CliTest.run("finetune", "export-peft", adapter.toString(), base, peft.toString());
        assertEquals(0, ex.code(), ex.err());
        assertTrue(ex.out().contains("(35 matrices, r=4, lora_alpha=8, use_rslora=false, scale 2.0)"), ex.out());
        assertTrue(ex.out().contains("q/k lora_B rows in HF order"), ex.out());
        JsonNode cfg = new ObjectMapper().readTree(peft.resolve("adapter_config.json").toFile());
        assertEquals("LORA", cfg.get("peft_type").asText());
        assertEquals("CAUSAL_LM", cfg.get("task_type").asText());
        assertEquals(4, cfg.get("r").asInt());
        assertEquals(8, cfg.get("lora_alpha").asInt());
        assertTrue(cfg.get("inference_mode").asBoolean());
        assertEquals("[\"down_proj\",\"gate_proj\",\"k_proj\",\"o_proj\",\"q_proj\",\"up_proj\",\"v_proj\"]", cfg.get("target_modules").toString());
        String name;
        try (GgufFile f = GgufFile.open(TestData.path(BASE))) {
            name = PeftLora.baseModelName(f);
        }
        assertEquals(name, cfg.get("base_model_name_or_path").asText());

        CliTest.Run im = CliTest.run("finetune", "import-peft", peft.toString(), base, back.toString());
        assertEquals(0, im.code(), im.err());
        assertTrue(im.out().contains("(35 matrices, r=4, lora_alpha=8) -> " + back), im.out());
        LoraAdapter a = LoraAdapter.read(adapter), b = LoraAdapter.read(back);
        assertEquals(a.alpha, b.alpha);
        assertEquals(a.pairs.keySet(), b.pairs.keySet());
        for (LoraAdapter.Pair p : a.pairs.values()) {
            assertArrayEquals(p.a(), b.pairs.get(p.weight()).a(), p.weight());
            assertArrayEquals(p.b(), b.pairs.get(p.weight()).b(), p.weight());
        }

        // HF side: W_hf = unpermute(W_gguf); W_hf + s·B_hf·A, permuted back, is jllm's merge of the GGUF adapter
        Path merged = tmp.resolve("merged.gguf");
        assertEquals(0, CliTest.run("finetune", "merge", base, adapter.toString(), merged.toString()).code());
        ModelConfig c;
        try (GgufFile f = GgufFile.open(TestData.path(BASE))) {
            c = ModelConfig.fromGguf(f);
        }
        float s = a.scale();
        try (GgufFile bf = GgufFile.open(TestData.path(BASE)); GgufFile mf = GgufFile.open(merged); Safetensors st = Safetensors.open(peft.resolve("adapter_model.safetensors"))) {
            for (int layer = 0; layer < c.nLayers(); layer++) {
                for (String m : List.of("q", "k", "v")) {
                    String w = "blk." + layer + ".attn_" + m + ".weight", key = "base_model.model.model.layers." + layer + ".self_attn." + m + "_proj";
                    int heads = m.equals("q") ? c.nHeads() : m.equals("k") ? c.nKvHeads() : 0;
                    float[] base0 = floats(bf, w), want = floats(mf, w);
                    int out = m.equals("q") ? c.qDim() : c.kvDim(), in = c.dim();
                    float[] hf = heads > 0 ? PeftLora.unpermuteRows(base0, out, in, heads) : base0;
                    float[] aa = st.floats(st.tensor(key + ".lora_A.weight")), bb = st.floats(st.tensor(key + ".lora_B.weight"));
                    LoraAdapter.Pair pair = new LoraAdapter.Pair(w, in, out, 4, aa, bb);
                    float[] row = new float[in];
                    for (int i = 0; i < out; i++) {
                        System.arraycopy(hf, i * in, row, 0, in);
                        LoraAdapter.mergeRow(pair, s, i, row);
                        System.arraycopy(row, 0, hf, i * in, in);
                    }
                    float[] got = heads > 0 ? PeftLora.permuteRows(hf, out, in, heads) : hf;
                    assertArrayEquals(want, got, w + ": permute(W_hf + s·B_hf·A) = jllm's merge");
                }
            }
        }

        // the imported adapter runs as the original
        String p = "Once upon a time";
        CliTest.Run g1 = CliTest.run("generate", "-m", base, "--lora", adapter.toString(), "-p", p, "-n", "24", "--temp", "0", "-t", "1");
        CliTest.Run g2 = CliTest.run("generate", "-m", base, "--lora", back.toString(), "-p", p, "-n", "24", "--temp", "0", "-t", "1");
        assertEquals(0, g1.code(), g1.err());
        assertEquals(g1.out(), g2.out());
    }

    private static float[] floats(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        float[] x = new float[Math.toIntExact(t.elementCount())];
        BlockFormats.of(t.type()).dequantize(f.tensorData(t), 0, x, 0, x.length);
        return x;
    }

    @Test
    void bf16ExportAndBaseModelId() throws Exception {
        String base = TestData.path(BASE).toString();
        Path adapter = adapter(tmp, 2, 4f), peft = tmp.resolve("bf16");
        CliTest.Run ex = CliTest.run("finetune", "export-peft", adapter.toString(), base, peft.toString(), "--dtype", "bf16", "--base-model-id", "karpathy/tinyllamas");
        assertEquals(0, ex.code(), ex.err());
        assertTrue(ex.out().contains("BF16, 70 tensors"), ex.out());
        assertTrue(Files.readString(peft.resolve("adapter_config.json")).contains("\"base_model_name_or_path\": \"karpathy/tinyllamas\","));
        CliTest.Run im = CliTest.run("finetune", "import-peft", peft.toString(), base, tmp.resolve("b.gguf").toString());
        assertEquals(0, im.code(), im.err());
        assertTrue(im.out().contains("PEFT's base model: \"karpathy/tinyllamas\""), im.out());
    }

    @Test
    void badInputIsOneLineNamingFileAndKey() throws Exception {
        String base = TestData.path(BASE).toString();
        Path adapter = adapter(tmp, 2, 4f), peft = tmp.resolve("peft");
        assertEquals(0, CliTest.run("finetune", "export-peft", adapter.toString(), base, peft.toString()).code());

        // not a LoRA: a model given as the adapter, an adapter given as the base, a PEFT config of another method
        CliTest.Run r = CliTest.run("finetune", "export-peft", base, base, tmp.resolve("x").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("stories260K.gguf: general.type is absent, not 'adapter': the first argument must be a GGUF LoRA adapter"), r.err());
        r = CliTest.run("finetune", "export-peft", adapter.toString(), adapter.toString(), tmp.resolve("x").toString());
        assertTrue(r.err().contains("jllm-lora.gguf is a LoRA adapter; BASE must be the model it adapts"), r.err());
        Path ia3 = copy(peft, "ia3");
        Files.writeString(ia3.resolve("adapter_config.json"), Files.readString(ia3.resolve("adapter_config.json")).replace("\"LORA\"", "\"IA3\""));
        r = CliTest.run("finetune", "import-peft", ia3.toString(), base, tmp.resolve("x.gguf").toString());
        assertTrue(r.err().contains("ia3/adapter_config.json: not a LoRA adapter: peft_type is 'IA3'"), r.err());

        // missing tensor, wrong shape, unknown target module
        List<Safetensors.Tensor> tensors = new ArrayList<>();
        try (Safetensors st = Safetensors.open(peft.resolve("adapter_model.safetensors"))) {
            for (Safetensors.Info i : st.tensors()) tensors.add(new Safetensors.Tensor(i.name(), i.dtype(), i.shape(), st.floats(i)));
        }
        String kA = "base_model.model.model.layers.3.self_attn.k_proj.lora_A.weight";
        Path missing = copy(peft, "missing");
        Safetensors.write(missing.resolve("adapter_model.safetensors"), Map.of("format", "pt"), tensors.stream().filter(t -> !t.name().equals(kA)).toList());
        r = CliTest.run("finetune", "import-peft", missing.toString(), base, tmp.resolve("x.gguf").toString());
        assertTrue(r.err().contains("missing/adapter_model.safetensors: tensor '" + kA + "' is missing"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        Path shape = copy(peft, "shape");
        List<Safetensors.Tensor> bad = new ArrayList<>(tensors.stream().filter(t -> !t.name().equals(kA)).toList());
        bad.add(new Safetensors.Tensor(kA, Safetensors.Dtype.F32, new long[] {2, 32}, new float[64]));
        Safetensors.write(shape.resolve("adapter_model.safetensors"), Map.of("format", "pt"), bad);
        r = CliTest.run("finetune", "import-peft", shape.toString(), base, tmp.resolve("x.gguf").toString());
        assertTrue(r.err().contains("shape/adapter_model.safetensors: tensor '" + kA + "' has shape [2,32], expected [2,64] (r, in_features)"), r.err());

        Path head = copy(peft, "head");
        List<Safetensors.Tensor> withHead = new ArrayList<>(tensors);
        withHead.add(new Safetensors.Tensor("base_model.model.model.embed_tokens.lora_embedding_A", Safetensors.Dtype.F32, new long[] {2, 512}, new float[1024]));
        Safetensors.write(head.resolve("adapter_model.safetensors"), Map.of("format", "pt"), withHead);
        r = CliTest.run("finetune", "import-peft", head.toString(), base, tmp.resolve("x.gguf").toString());
        assertTrue(r.err().contains("adapts 'model.embed_tokens', an unknown target module"), r.err());

        r = CliTest.run("finetune", "import-peft", tmp.resolve("nowhere").toString(), base, tmp.resolve("x.gguf").toString());
        assertTrue(r.err().contains("nowhere: not a directory"), r.err());
        r = CliTest.run("finetune", "export-peft", adapter.toString(), base, tmp.resolve("x").toString(), "--dtype", "q8_0");
        assertTrue(r.err().contains("dtype 'q8_0' is not one of f32, bf16, f16"), r.err());
    }

    private Path copy(Path from, String name) throws Exception {
        Path d = tmp.resolve(name);
        Files.createDirectories(d);
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) Files.copy(from.resolve(f), d.resolve(f));
        return d;
    }
}
