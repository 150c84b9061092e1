package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF LoRA adapter ↔ PEFT files: the q/k row permutation (llama.cpp's LlamaModel.permute) and the
 * identity that makes B-only permutation right, export → import bit-exact for llama (GQA) and qwen2,
 * adapter_config.json byte for byte as Python's json.dumps(indent=2, sort_keys=True) writes PEFT
 * 0.20.0's LoraConfig, the rsLoRA hint, and errors naming file and key.
 */
class PeftLoraTest {
    @TempDir Path tmp;

    static final ModelConfig LLAMA = new ModelConfig("llama", 64, 96, 2, 8, 2, 8, 32, 64, 1e-5f, 10000f, false);
    static final ModelConfig QWEN2 = new ModelConfig("qwen2", 64, 96, 2, 8, 2, 8, 32, 64, 1e-6f, 1e6f, true);

    static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    /** Every module of every layer, random A and B. */
    static LoraAdapter adapter(ModelConfig c, int rank, float alpha, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            for (LoraTarget m : LoraTarget.values()) {
                int[] io = m.inOut(c);
                pairs.add(new LoraAdapter.Pair(m.ggufWeight(l), io[0], io[1], rank, random(rnd, rank * io[0]), random(rnd, io[1] * rank)));
            }
        }
        return new LoraAdapter(c.architecture(), alpha, pairs);
    }

    // ---------------------------------------------------------------- permutation

    @Test
    void permutationIsLlamaCppsReshapeSwapaxesReshape() {
        // one head of 4 rows: HF [r0 r1 | r2 r3] (halves) → GGUF r0 r2 r1 r3 (pairs)
        float[] w = {0, 0, 1, 1, 2, 2, 3, 3};
        assertArrayEquals(new float[] {0, 0, 2, 2, 1, 1, 3, 3}, PeftLora.permuteRows(w, 4, 2, 1));
        // the general case against a literal transcription of W.reshape(n_head, 2, d/2, cols).swapaxes(1, 2).reshape(W.shape)
        SplittableRandom rnd = new SplittableRandom(1);
        int nHead = 4, d = 6, cols = 5, rows = nHead * d;
        float[] x = random(rnd, rows * cols);
        float[] want = new float[x.length];
        int o = 0;
        for (int h = 0; h < nHead; h++) {
            for (int j = 0; j < d / 2; j++) {     // swapped axes: (h, j, p) in C order
                for (int p = 0; p < 2; p++) {
                    for (int c = 0; c < cols; c++) want[o++] = x[(((h * 2 + p) * (d / 2)) + j) * cols + c]; // element [h][p][j][c] of the reshaped view
                }
            }
        }
        assertArrayEquals(want, PeftLora.permuteRows(x, rows, cols, nHead));
        assertArrayEquals(x, PeftLora.unpermuteRows(PeftLora.permuteRows(x, rows, cols, nHead), rows, cols, nHead));
        assertThrows(IllegalArgumentException.class, () -> PeftLora.permuteRows(new float[6 * 2], 6, 2, 2), "3-row heads cannot be split in pairs");
        assertTrue(PeftLora.permutesQk("llama"));
        assertFalse(PeftLora.permutesQk("qwen2"));
        assertFalse(PeftLora.permutesQk("qwen3"));
    }

    /** permute(W + s·B·A) == permute(W) + s·permute(B)·A for q (n_head) and k (n_head_kv): the B-only permutation is exact. */
    @Test
    void permutingBIsPermutingTheMergedWeight() {
        SplittableRandom rnd = new SplittableRandom(7);
        int r = 4;
        float s = 2.5f;
        for (LoraTarget m : List.of(LoraTarget.Q, LoraTarget.K)) {
            int[] io = m.inOut(LLAMA);
            int in = io[0], out = io[1], heads = m == LoraTarget.Q ? LLAMA.nHeads() : LLAMA.nKvHeads();
            float[] w = random(rnd, out * in), a = random(rnd, r * in), b = random(rnd, out * r);
            // HF side: merge, then convert
            LoraAdapter.Pair hf = new LoraAdapter.Pair("w", in, out, r, a, b);
            float[] merged = w.clone();
            mergeAll(hf, s, merged);
            float[] left = PeftLora.permuteRows(merged, out, in, heads);
            // GGUF side: convert, then merge with the permuted B
            float[] right = PeftLora.permuteRows(w, out, in, heads);
            mergeAll(new LoraAdapter.Pair("w", in, out, r, a, PeftLora.permuteRows(b, out, r, heads)), s, right);
            assertArrayEquals(left, right, m + ": bit-exact (a row permutation moves whole rows of B·A)");
            // and permuting A instead would be wrong
            float[] wrong = PeftLora.permuteRows(w, out, in, heads);
            mergeAll(hf, s, wrong);
            assertFalse(java.util.Arrays.equals(left, wrong));
        }
    }

    private static void mergeAll(LoraAdapter.Pair p, float s, float[] w) {
        float[] row = new float[p.in()];
        for (int i = 0; i < p.out(); i++) {
            System.arraycopy(w, i * p.in(), row, 0, p.in());
            LoraAdapter.mergeRow(p, s, i, row);
            System.arraycopy(row, 0, w, i * p.in(), p.in());
        }
    }

    // ---------------------------------------------------------------- export / import

    @Test
    void exportThenImportIsBitExactAndPeftSeesHfRowOrder() throws Exception {
        for (ModelConfig c : List.of(LLAMA, QWEN2)) {
            LoraAdapter a = adapter(c, 4, 8f, 3);
            Path dir = tmp.resolve(c.architecture());
            PeftLora.Exported e = PeftLora.export(a, "a.gguf", c, new PeftLora.ExportOptions("org/base", false, 0f, Safetensors.Dtype.F32), dir);
            assertEquals(4, e.rank());
            assertEquals(8L, e.loraAlpha());
            assertEquals(List.of("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"), e.targetModules());
            assertEquals(2 * 7 * 2, e.tensors());
            try (Safetensors st = Safetensors.open(dir.resolve(PeftLora.WEIGHTS_FILE))) {
                assertEquals(Map.of("format", "pt"), st.metadata());
                assertEquals(28, st.tensors().size());
                assertEquals("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight", st.tensors().getFirst().name(), "the crate's name order");
                LoraAdapter.Pair q1 = a.pairs.get("blk.1.attn_q.weight"), k0 = a.pairs.get("blk.0.attn_k.weight"), v0 = a.pairs.get("blk.0.attn_v.weight");
                Safetensors.Info qa = st.tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight");
                Safetensors.Info qb = st.tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight");
                Safetensors.Info kb = st.tensor("base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight");
                assertArrayEquals(new long[] {4, 64}, qa.shape());
                assertArrayEquals(new long[] {64, 4}, qb.shape());
                assertArrayEquals(new long[] {16, 4}, kb.shape());
                assertArrayEquals(q1.a(), st.floats(qa), "A is never permuted");
                boolean llama = c.architecture().equals("llama");
                assertArrayEquals(llama ? PeftLora.unpermuteRows(q1.b(), 64, 4, 8) : q1.b(), st.floats(qb));
                assertArrayEquals(llama ? PeftLora.unpermuteRows(k0.b(), 16, 4, 2) : k0.b(), st.floats(kb), "k over n_head_kv heads");
                assertArrayEquals(v0.b(), st.floats(st.tensor("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight")), "v is not permuted");
                if (llama) assertFalse(java.util.Arrays.equals(q1.b(), st.floats(qb)));
            }
            PeftLora.Imported im = PeftLora.read(dir, c);
            assertEquals(a.alpha, im.adapter().alpha);
            assertEquals(c.architecture(), im.adapter().architecture);
            assertEquals(a.pairs.keySet(), im.adapter().pairs.keySet(), "same tensors, in jllm's own order (block, then q,k,v,o,gate,up,down)");
            for (LoraAdapter.Pair p : a.pairs.values()) {
                LoraAdapter.Pair q = im.adapter().pairs.get(p.weight());
                assertArrayEquals(p.a(), q.a(), p.weight());
                assertArrayEquals(p.b(), q.b(), p.weight());
            }
            assertEquals(Map.of("general.name", GgufValue.ofString(c.architecture()), PeftLora.BASE_MODEL_KEY, GgufValue.ofString("org/base")), im.metadata());

            // through a GGUF file and back out: the same two files
            Path gguf = tmp.resolve(c.architecture() + ".gguf"), again = tmp.resolve(c.architecture() + "-again");
            im.adapter().write(gguf, im.metadata());
            LoraAdapter back = LoraAdapter.read(gguf);
            PeftLora.ExportOptions o;
            try (var f = dev.jllm.gguf.GgufFile.open(gguf)) {
                o = PeftLora.options(f, null, Safetensors.Dtype.F32);
            }
            assertEquals("org/base", o.baseModel(), "the hint carries base_model_name_or_path");
            PeftLora.export(back, "back.gguf", c, o, again);
            for (String f : List.of(PeftLora.CONFIG_FILE, PeftLora.WEIGHTS_FILE)) {
                assertEquals(-1, Files.mismatch(dir.resolve(f), again.resolve(f)), f);
            }
        }
    }

    @Test
    void bf16AndF16ExportsImportAsTheRoundedValues() throws Exception {
        LoraAdapter a = adapter(LLAMA, 2, 4f, 5);
        for (Safetensors.Dtype dt : List.of(Safetensors.Dtype.BF16, Safetensors.Dtype.F16)) {
            Path dir = tmp.resolve(dt.name());
            PeftLora.export(a, "a.gguf", LLAMA, new PeftLora.ExportOptions("b", false, 0f, dt), dir);
            try (Safetensors st = Safetensors.open(dir.resolve(PeftLora.WEIGHTS_FILE))) {
                assertTrue(st.tensors().stream().allMatch(t -> t.dtype() == dt));
            }
            LoraAdapter back = PeftLora.read(dir, LLAMA).adapter();
            LoraAdapter.Pair p = a.pairs.get("blk.0.attn_q.weight"), q = back.pairs.get("blk.0.attn_q.weight");
            for (int i = 0; i < p.b().length; i++) {
                float x = p.b()[i];
                float rounded = dt == Safetensors.Dtype.F16 ? Float.float16ToFloat(Float.floatToFloat16(x)) : bf16(x);
                assertEquals(rounded, q.b()[i], "element " + i);
            }
        }
    }

    private static float bf16(float x) {
        int u = Float.floatToRawIntBits(x);
        return Float.intBitsToFloat(((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16);
    }

    @Test
    void adapterConfigIsWhatPeftWrites() throws Exception {
        // Python 3: json.dumps(asdict(LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"],
        // task_type="CAUSAL_LM", base_model_name_or_path=..., inference_mode=True)) minus runtime_config, indent=2, sort_keys=True), PEFT 0.20.0
        String want = """
                {
                  "alora_invocation_tokens": null,
                  "alpha_pattern": {},
                  "arrow_config": null,
                  "auto_mapping": null,
                  "base_model_name_or_path": "meta-llama/Llama-3.2-1B",
                  "bias": "none",
                  "corda_config": null,
                  "ensure_weight_tying": false,
                  "eva_config": null,
                  "exclude_modules": null,
                  "fan_in_fan_out": false,
                  "inference_mode": true,
                  "init_lora_weights": true,
                  "layer_replication": null,
                  "layers_pattern": null,
                  "layers_to_transform": null,
                  "loftq_config": {},
                  "lora_alpha": 16,
                  "lora_bias": false,
                  "lora_dropout": 0.05,
                  "lora_ga_config": null,
                  "megatron_config": null,
                  "megatron_core": "megatron.core",
                  "modules_to_save": null,
                  "monteclora_config": null,
                  "peft_type": "LORA",
                  "peft_version": "0.20.0",
                  "qalora_group_size": 16,
                  "r": 8,
                  "rank_pattern": {},
                  "revision": null,
                  "target_modules": [
                    "q_proj",
                    "v_proj"
                  ],
                  "target_parameters": null,
                  "task_type": "CAUSAL_LM",
                  "trainable_token_indices": null,
                  "use_bdlora": null,
                  "use_dora": false,
                  "use_qalora": false,
                  "use_rslora": false,
                  "velora_config": null
                }""";
        assertEquals(want, PeftLora.configJson(8, 16L, false, 0.05f, List.of("q_proj", "v_proj"), null, "meta-llama/Llama-3.2-1B"));

        // an adapter on q,v of a llama, exported with its hints: the same text
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        LoraAdapter full = adapter(LLAMA, 8, 16f, 9);
        for (LoraAdapter.Pair p : full.pairs.values()) if (p.weight().contains("attn_q") || p.weight().contains("attn_v")) pairs.add(p);
        Path dir = tmp.resolve("qv");
        PeftLora.export(new LoraAdapter("llama", 16f, pairs), "qv.gguf", LLAMA, new PeftLora.ExportOptions("meta-llama/Llama-3.2-1B", false, 0.05f, null), dir);
        assertEquals(want, Files.readString(dir.resolve(PeftLora.CONFIG_FILE)));
        JsonNode j = new ObjectMapper().readTree(dir.resolve(PeftLora.CONFIG_FILE).toFile());
        assertEquals(40, j.size(), "PEFT 0.20.0: 4 PeftConfigMixin + 3 PeftConfig + 33 LoraConfig fields (runtime_config dropped)");
    }

    @Test
    void rsLoraHintAndNonIntegerAlpha() throws Exception {
        int r = 8;
        float scale = (float) (16 / Math.sqrt(r)); // LoraConfig.scale() with rsLoRA
        LoraAdapter a = adapter(LLAMA, r, scale * r, 11); // LoraParams.toAdapter: alpha = scale·r
        // without the hint: lora_alpha is the GGUF's alpha (not an integer), use_rslora false, same scale α/r
        PeftLora.Exported plain = PeftLora.export(a, "a.gguf", LLAMA, new PeftLora.ExportOptions("b", false, 0f, null), tmp.resolve("plain"));
        assertEquals(scale * r, plain.loraAlpha());
        assertFalse(plain.useRslora());
        String text = Files.readString(tmp.resolve("plain").resolve(PeftLora.CONFIG_FILE));
        assertTrue(text.contains("\"lora_alpha\": 45.254833,"), text);
        assertTrue(text.contains("\"use_rslora\": false,"), text);
        assertEquals(scale * r, PeftLora.read(tmp.resolve("plain"), LLAMA).adapter().alpha, "the float comes back exactly");
        // with the hint: PEFT's own rsLoRA numbers
        PeftLora.Exported rs = PeftLora.export(a, "a.gguf", LLAMA, new PeftLora.ExportOptions("b", true, 0.1f, null), tmp.resolve("rs"));
        assertEquals(16L, rs.loraAlpha());
        text = Files.readString(tmp.resolve("rs").resolve(PeftLora.CONFIG_FILE));
        assertTrue(text.contains("\"lora_alpha\": 16,") && text.contains("\"use_rslora\": true,") && text.contains("\"lora_dropout\": 0.1,"), text);
        PeftLora.Imported im = PeftLora.read(tmp.resolve("rs"), LLAMA);
        assertTrue(im.useRslora());
        assertEquals(scale, im.adapter().scale(), 1e-6f * scale, "llama.cpp's alpha/r is the rsLoRA scale");
        assertEquals(GgufValue.ofBool(true), im.metadata().get(PeftLora.RS_LORA_KEY));
        assertEquals(GgufValue.ofFloat32(0.1f), im.metadata().get(PeftLora.DROPOUT_KEY));
    }

    @Test
    void layerSubsetsBecomeLayersToTransformOrFullModuleNames() throws Exception {
        ModelConfig c = new ModelConfig("llama", 64, 96, 3, 8, 2, 8, 32, 64, 1e-5f, 10000f, false);
        LoraAdapter all = adapter(c, 2, 4f, 13);
        List<LoraAdapter.Pair> sub = new ArrayList<>(), irregular = new ArrayList<>();
        for (LoraAdapter.Pair p : all.pairs.values()) {
            if (p.weight().startsWith("blk.1.") && (p.weight().contains("attn_q") || p.weight().contains("ffn_up"))) sub.add(p);
            if (p.weight().equals("blk.0.attn_q.weight") || p.weight().equals("blk.2.attn_v.weight")) irregular.add(p);
        }
        PeftLora.export(new LoraAdapter("llama", 4f, sub), "s.gguf", c, new PeftLora.ExportOptions("b", false, 0, null), tmp.resolve("sub"));
        String t = Files.readString(tmp.resolve("sub").resolve(PeftLora.CONFIG_FILE));
        assertTrue(t.contains("\"layers_to_transform\": [\n    1\n  ],") && t.contains("\"target_modules\": [\n    \"q_proj\",\n    \"up_proj\"\n  ],"), t);
        PeftLora.Exported e = PeftLora.export(new LoraAdapter("llama", 4f, irregular), "i.gguf", c, new PeftLora.ExportOptions("b", false, 0, null), tmp.resolve("irr"));
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.2.self_attn.v_proj"), e.targetModules());
        assertEquals(2, PeftLora.read(tmp.resolve("irr"), c).adapter().pairs.size());
    }

    // ---------------------------------------------------------------- errors

    @Test
    void badAdaptersAreNamedByFileAndKey() throws Exception {
        LoraAdapter a = adapter(LLAMA, 2, 4f, 17);
        Path dir = tmp.resolve("ok");
        PeftLora.export(a, "a.gguf", LLAMA, new PeftLora.ExportOptions("b", false, 0, null), dir);
        Path weights = dir.resolve(PeftLora.WEIGHTS_FILE), config = dir.resolve(PeftLora.CONFIG_FILE);
        String cfg = Files.readString(config);
        List<Safetensors.Tensor> tensors = new ArrayList<>();
        try (Safetensors st = Safetensors.open(weights)) {
            for (Safetensors.Info i : st.tensors()) tensors.add(new Safetensors.Tensor(i.name(), i.dtype(), i.shape(), st.floats(i)));
        }
        String qB = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";

        // missing tensor
        Path d1 = variant("missing", cfg, tensors.stream().filter(t -> !t.name().equals(qB)).toList());
        assertImportError(d1, "missing/adapter_model.safetensors: tensor '" + qB + "' is missing (base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight is there)");
        // wrong shape
        List<Safetensors.Tensor> wrong = new ArrayList<>(tensors.stream().filter(t -> !t.name().equals(qB)).toList());
        wrong.add(new Safetensors.Tensor(qB, Safetensors.Dtype.F32, new long[] {2, 64}, new float[128]));
        assertImportError(variant("shape", cfg, wrong), "shape/adapter_model.safetensors: tensor '" + qB + "' has shape [2,64], expected [64,2] (out_features, r)");
        // unknown target module
        List<Safetensors.Tensor> head = new ArrayList<>(tensors);
        head.add(new Safetensors.Tensor("base_model.model.lm_head.lora_A.weight", Safetensors.Dtype.F32, new long[] {2, 64}, new float[128]));
        assertImportError(variant("head", cfg, head), "tensor 'base_model.model.lm_head.lora_A.weight' adapts 'lm_head', an unknown target module");
        List<Safetensors.Tensor> qkv = new ArrayList<>(tensors);
        qkv.add(new Safetensors.Tensor("base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight", Safetensors.Dtype.F32, new long[] {2, 64}, new float[128]));
        assertImportError(variant("qkv", cfg, qkv), "adapts 'self_attn.qkv_proj', an unknown target module");
        List<Safetensors.Tensor> bias = new ArrayList<>(tensors);
        bias.add(new Safetensors.Tensor("base_model.model.model.layers.0.self_attn.q_proj.bias", Safetensors.Dtype.F32, new long[] {64}, new float[64]));
        assertImportError(variant("bias", cfg, bias), "tensor 'base_model.model.model.layers.0.self_attn.q_proj.bias' is not a LoRA tensor");
        List<Safetensors.Tensor> deep = new ArrayList<>(tensors);
        deep.add(new Safetensors.Tensor("base_model.model.model.layers.5.mlp.up_proj.lora_A.weight", Safetensors.Dtype.F32, new long[] {2, 64}, new float[128]));
        assertImportError(variant("deep", cfg, deep), "is for layer 5, the base model has 2");
        // not a LoRA / not a plain LoRA
        assertImportError(variant("ia3", cfg.replace("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\""), tensors),
                "ia3/adapter_config.json: not a LoRA adapter: peft_type is 'IA3'");
        assertImportError(variant("dora", cfg.replace("\"use_dora\": false", "\"use_dora\": true"), tensors), "dora/adapter_config.json: key 'use_dora' is true: DoRA");
        assertImportError(variant("ranks", cfg.replace("\"rank_pattern\": {}", "\"rank_pattern\": {\"q_proj\": 4}"), tensors), "key 'rank_pattern' is an object with [q_proj]");
        assertImportError(variant("syntax", cfg.replace("\"r\": 2,", "\"r\": 2"), tensors), "syntax/adapter_config.json: JSON syntax error at line 31");
        assertImportError(variant("rtype", cfg.replace("\"r\": 2,", "\"r\": \"2\","), tensors), "rtype/adapter_config.json: key 'r' must be an integer");
        Path nocfg = tmp.resolve("nocfg");
        Files.createDirectories(nocfg);
        assertImportError(nocfg, "nocfg/adapter_config.json: missing");
        Path bin = variant("bin", cfg, tensors);
        Files.delete(bin.resolve(PeftLora.WEIGHTS_FILE));
        Files.write(bin.resolve("adapter_model.bin"), new byte[] {1});
        assertImportError(bin, "adapter_model.bin is a pickle");
        // the rank from the config must be the tensors'
        assertImportError(variant("rank", cfg.replace("\"r\": 2,", "\"r\": 4,"), tensors), "(r, in_features) for r = 4");

        // export side
        ModelConfig other = new ModelConfig("llama", 32, 96, 2, 8, 2, 4, 32, 64, 1e-5f, 10000f, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PeftLora.export(a, "a.gguf", other, new PeftLora.ExportOptions("b", false, 0, null), tmp.resolve("x")));
        assertTrue(e.getMessage().contains("a.gguf: blk.0.attn_q.weight is adapted as a (64, 64) matrix, the base model's is (32, 32)"), e.getMessage());
        LoraAdapter out = new LoraAdapter("llama", 4f, List.of(new LoraAdapter.Pair("output.weight", 64, 32, 2, new float[128], new float[64])));
        e = assertThrows(IllegalArgumentException.class, () -> PeftLora.export(out, "o.gguf", LLAMA, new PeftLora.ExportOptions("b", false, 0, null), tmp.resolve("y")));
        assertTrue(e.getMessage().contains("o.gguf: tensor 'output.weight.lora_a' adapts 'output.weight', an unknown target module"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PeftLora.export(a, "a.gguf", QWEN2, new PeftLora.ExportOptions("b", false, 0, null), tmp.resolve("z")));
        assertTrue(e.getMessage().contains("a.gguf is for architecture 'llama', the base model is 'qwen2'"), e.getMessage());
    }

    private Path variant(String name, String config, List<Safetensors.Tensor> tensors) throws IOException {
        Path d = tmp.resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve(PeftLora.CONFIG_FILE), config);
        Safetensors.write(d.resolve(PeftLora.WEIGHTS_FILE), Map.of("format", "pt"), tensors);
        return d;
    }

    private static void assertImportError(Path dir, String expected) {
        IOException e = assertThrows(IOException.class, () -> PeftLora.read(dir, LLAMA), dir.toString());
        assertTrue(e.getMessage().contains(expected), e.getMessage() + "\n  should contain: " + expected);
    }

    // ---------------------------------------------------------------- JSON as Python writes it

    @Test
    void floatsAndStringsAreWrittenAsPythonReprAndJsonDumps() {
        // python3 -c 'import json; print(json.dumps(x))' for each
        assertEquals("0.05", JsonText.pyFloat(0.05));
        assertEquals("1e-05", JsonText.pyFloat(1e-5));
        assertEquals("1.5e-05", JsonText.pyFloat(1.5e-5));
        assertEquals("1e+16", JsonText.pyFloat(1e16));
        assertEquals("1000000000000000.0", JsonText.pyFloat(1e15));
        assertEquals("123.0", JsonText.pyFloat(123.0));
        assertEquals("0.0001", JsonText.pyFloat(0.0001));
        assertEquals("5.656854152679443", JsonText.pyFloat((double) 5.656854152679443));
        assertEquals("-0.0", JsonText.pyFloat(-0.0));
        assertEquals("0.3333333333333333", JsonText.pyFloat(1.0 / 3));
        assertEquals("2.5e-07", JsonText.pyFloat(2.5e-7));
        assertEquals("1.2345678901234568e+16", JsonText.pyFloat(12345678901234567.0));
        assertEquals("45.254833", JsonText.pyFloat(45.254833f));
        assertEquals("0.1", JsonText.pyFloat(0.1f));
        assertEquals("\"\\u00e9\\u2028\\u0001\\\"\\\\/\"", JsonText.pythonDumps("é\u2028\u0001\"\\/"));
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("b", new long[] {1, 2});
        m.put("a", "é\n");
        assertEquals("{\"b\":[1,2],\"a\":\"é\\n\"}", JsonText.compact(m), "serde_json: map order, no spaces, non-ASCII raw");
    }
}
