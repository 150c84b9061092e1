package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.LoadedModel;
import dev.jllm.gguf.GgufFile;
import dev.jllm.model.Batch;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import dev.jllm.testkit.TestData;
import dev.jllm.tokenizer.TokenizerJsonLoader;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * jllm convert / export on the tiny checkpoints of testdata/hf-tiny (written by
 * scripts/golden/make_hf_tiny.py with numpy, not by jllm): the converted GGUF continues a prompt
 * greedily with exactly the bytes llama.cpp's llama-simple printed for the same file
 * (testdata/golden/hf-tiny-llamacpp.json), HF → GGUF → HF gives back identical tensors and
 * config, and bad inputs fail with messages naming the file, field or tensor.
 */
class HfInteropTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    static Path hf(String name) {
        return TestData.path("hf-tiny/" + name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama-tied", "llama-rope3", "qwen2", "qwen3", "llama-spm"})
    void greedyContinuationEqualsLlamaCpp(String name) throws Exception {
        Path gguf = tmp.resolve(name + ".gguf");
        CliTest.Run r = CliTest.run("convert", hf(name).toString(), gguf.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode golden = JSON.readTree(TestData.path("golden/hf-tiny-llamacpp.json").toFile());
        byte[] want = HexFormat.of().parseHex(golden.get("models").get(name).asText());
        want = Arrays.copyOf(want, want.length - 1); // llama-simple's final newline
        try (LoadedModel m = LoadedModel.open(gguf, null, 2)) {
            int[] prompt = m.tokenizer.encode(golden.get("prompt").asText(), true, false);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            for (int t : prompt) got.write(m.tokenizer.tokenBytes(t));
            Transformer tr = m.transformer(GgmlType.F32, 256);
            int seq = tr.cache().allocate();
            float[] logits = tr.forward(Batch.of(seq, prompt, 0, Batch.Logits.LAST)).get(0)[0];
            int pos = prompt.length;
            for (int i = 0; i < golden.get("n_predict").asInt(); i++) {
                int next = 0;
                for (int v = 1; v < logits.length; v++) if (logits[v] > logits[next]) next = v;
                if (m.tokenizer.vocabulary().isEog(next)) break;
                got.write(m.tokenizer.tokenBytes(next));
                logits = tr.forward(Batch.of(seq, new int[] {next}, pos++, Batch.Logits.LAST)).get(0)[0];
            }
            assertEquals(HexFormat.of().formatHex(want), HexFormat.of().formatHex(got.toByteArray()), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama-tied", "llama-rope3", "qwen2", "qwen3", "llama-spm"})
    void roundTripGivesIdenticalTensorsAndConfig(String name) throws Exception {
        JsonNode config = JSON.readTree(hf(name).resolve("config.json").toFile());
        String dtype = switch (config.get("torch_dtype").asText()) { case "float32" -> "f32"; case "float16" -> "f16"; default -> "bf16"; };
        Path gguf = tmp.resolve(name + ".gguf"), back = tmp.resolve(name + "-hf");
        assertEquals(0, CliTest.run("convert", hf(name).toString(), gguf.toString(), "--outtype", dtype).code());
        CliTest.Run e = CliTest.run("export", gguf.toString(), back.toString(), "--max-shard-size", "150KB");
        assertEquals(0, e.code(), e.err());
        try (HfCheckpoint a = HfCheckpoint.open(hf(name)); HfCheckpoint b = HfCheckpoint.open(back)) {
            int n = 0;
            for (String t : a.tensorNames()) {
                HfCheckpoint.Source sa = a.tensor(t), sb = b.tensor(t);
                assertNotNull(sb, name + ": exported model lacks " + t);
                assertArrayEquals(sa.info().shape(), sb.info().shape(), t);
                assertEquals(sa.info().dtype(), sb.info().dtype(), t);
                assertArrayEquals(sa.file().bytes(sa.info()), sb.file().bytes(sb.info()), name + ": " + t);
                n++;
            }
            int m = 0;
            for (String t : b.tensorNames()) m++;
            assertEquals(n, m, "same tensor count");
        }
        assertTrue(Files.exists(back.resolve("model.safetensors.index.json")), "150KB shards → an index");
        ObjectNode c2 = (ObjectNode) JSON.readTree(back.resolve("config.json").toFile());
        for (String k : List.of("architectures", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "rope_theta", "vocab_size", "tie_word_embeddings",
                "rope_scaling", "bos_token_id", "eos_token_id")) {
            assertEquals(config.get(k), c2.get(k), name + ": config.json " + k);
        }
        if (!Files.exists(hf(name).resolve("tokenizer.json"))) { // SentencePiece: tokenizer.model with the same pieces, scores and types
            assertEquals(SentencePieceModel.read(hf(name).resolve("tokenizer.model")).pieces(),
                    SentencePieceModel.read(back.resolve("tokenizer.model")).pieces());
            assertEquals("LlamaTokenizer", JSON.readTree(back.resolve("tokenizer_config.json").toFile()).get("tokenizer_class").asText());
            return;
        }
        // the exported tokenizer.json tokenizes as the original
        String probe = "Once upon a time, Tom's dog ran 123 miles!\n\n  <|im_start|>user hi";
        assertArrayEquals(TokenizerJsonLoader.load(hf(name).resolve("tokenizer.json")).encode(probe, true, true),
                TokenizerJsonLoader.load(back.resolve("tokenizer.json")).encode(probe, true, true), name);
        JsonNode tc = JSON.readTree(back.resolve("tokenizer_config.json").toFile());
        assertEquals(JSON.readTree(hf(name).resolve("tokenizer_config.json").toFile()).get("chat_template"), tc.get("chat_template"));
    }

    /** testdata/golden/hf-tiny-torch-logits.json: scripts/golden/hf_reference_logits.py (PyTorch) on the exported F32 directories. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama-tied", "llama-rope3", "qwen2", "qwen3", "llama-spm"})
    void logitsEqualThePyTorchReferenceOnTheExportedFiles(String name) throws Exception {
        JsonNode golden = JSON.readTree(TestData.path("golden/hf-tiny-torch-logits.json").toFile());
        Path gguf = tmp.resolve(name + ".gguf");
        assertEquals(0, CliTest.run("convert", hf(name).toString(), gguf.toString(), "--outtype", "f32").code());
        int[] tokens = new int[golden.get("tokens").size()];
        for (int i = 0; i < tokens.length; i++) tokens[i] = golden.get("tokens").get(i).asInt();
        JsonNode want = golden.get("models").get(name);
        try (LoadedModel m = LoadedModel.open(gguf, null, 2)) {
            Transformer tr = m.transformer(GgmlType.F32, 64);
            float[][] got = tr.forward(Batch.of(tr.cache().allocate(), tokens, 0, Batch.Logits.ALL)).get(0);
            double worst = 0;
            for (int p = 0; p < tokens.length; p++) {
                for (int v = 0; v < got[p].length; v++) worst = Math.max(worst, Math.abs(got[p][v] - want.get(p).get(v).asDouble()));
            }
            System.out.printf("%s: max abs(jllm - PyTorch) logit difference %.2e%n", name, worst);
            assertTrue(worst <= 1e-4, name + ": max |jllm − PyTorch| = " + worst);
        }
    }

    /**
     * testdata/golden/llamacpp-convert.json: llama.cpp's convert_hf_to_gguf.py on the same directories wrote exactly
     * these keys and these tensor bytes (SHA-256 over the tensors' data in name order).
     */
    @Test
    void keysAndTensorBytesEqualLlamaCppsConverter() throws Exception {
        JsonNode cases = JSON.readTree(TestData.path("golden/llamacpp-convert.json").toFile()).get("cases");
        for (var it = cases.fields(); it.hasNext(); ) {
            var c = it.next();
            String[] mt = c.getKey().split("/");
            Path gguf = tmp.resolve(mt[0] + "-" + mt[1] + ".gguf");
            CliTest.Run r = CliTest.run("convert", hf(mt[0]).toString(), gguf.toString(), "--outtype", mt[1]);
            assertEquals(0, r.code(), r.err());
            try (GgufFile g = GgufFile.open(gguf)) {
                java.util.TreeSet<String> want = new java.util.TreeSet<>(), got = new java.util.TreeSet<>(g.metadata().keySet());
                c.getValue().get("keys").forEach(k -> want.add(k.asText()));
                got.remove("general.alignment");
                assertEquals(want, got, c.getKey() + ": metadata keys");
                assertEquals(c.getValue().get("tensors").asInt(), g.tensors().size(), c.getKey());
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                java.util.List<String> names = new java.util.ArrayList<>();
                g.tensors().forEach(t -> names.add(t.name()));
                java.util.Collections.sort(names);
                for (String n : names) sha.update(g.tensorData(g.tensor(n)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                assertEquals(c.getValue().get("tensor_data_sha256").asText(), HexFormat.of().formatHex(sha.digest()), c.getKey() + ": tensor bytes");
            }
        }
        try (GgufFile g = GgufFile.open(tmp.resolve("llama-spm-auto.gguf"))) {
            assertEquals("Llama Spm", g.getString("general.name"), "gguf-py's id_to_title of the directory name");
        }
    }

    @Test
    void modelNamesAsGgufPyDerivesThem() {
        HfModelName n = HfModelName.of(null, "SmolLM2-135M-Instruct", 134_515_008L);
        assertEquals("SmolLM2 135M Instruct", n.name());
        assertEquals("SmolLM2", n.basename());
        assertEquals("135M", n.sizeLabel());
        assertEquals("Instruct", n.finetune());
        n = HfModelName.of("Qwen/Qwen2.5-0.5B-Instruct", "snap", 494_032_768L);
        assertEquals("Qwen2.5 0.5B Instruct", n.name());
        assertEquals("Qwen", n.organization());
        assertEquals("Qwen2.5", n.basename());
        assertEquals("0.5B", n.sizeLabel());
        n = HfModelName.of(null, "Meta-Llama-3.1-8B-Instruct", 8_030_261_248L);
        assertEquals("Meta Llama 3.1 8B Instruct", n.name());
        assertEquals("Meta-Llama-3.1", n.basename(), "a version at the start stays in the basename");
        assertNull(n.version());
        assertEquals("8B", n.sizeLabel());
    }

    @Test
    void metadataAsConvertHfToGgufWritesIt() throws Exception {
        Path gguf = tmp.resolve("rope3.gguf");
        assertEquals(0, CliTest.run("convert", hf("llama-rope3").toString(), gguf.toString(), "--outtype", "q8_0").code());
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals("llama", g.getString("general.architecture"));
            assertEquals(7, g.getLong("general.file_type", -1));
            assertEquals(64, g.getLong("llama.embedding_length", -1));
            assertEquals(2, g.getLong("llama.attention.head_count_kv", -1));
            assertEquals(16, g.getLong("llama.rope.dimension_count", -1));
            assertEquals(500000.0, g.getDouble("llama.rope.freq_base", 0));
            assertEquals("gpt2", g.getString("tokenizer.ggml.model"));
            assertEquals("llama-bpe", g.getString("tokenizer.ggml.pre"));
            assertEquals(Boolean.TRUE, g.get("tokenizer.ggml.add_bos_token").value());
            assertEquals(0, g.getLong("tokenizer.ggml.bos_token_id", -1));
            assertEquals(4, g.getLong("tokenizer.ggml.eos_token_id", -1), "<|eot_id|>");
            assertEquals(3, g.getArray("tokenizer.ggml.token_type").ints()[0], "special added token → CONTROL");
            assertEquals(GgmlType.Q8_0, g.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F32, g.tensor("blk.0.attn_norm.weight").type());
            // LlamaModel.generate_extra_tensors with factor 32, low 1, high 4, original context 64, head_dim 16, theta 5e5
            float[] f = new float[8];
            dev.jllm.tensor.BlockFormats.of(GgmlType.F32).dequantize(g.tensorData(g.tensor("rope_freqs.weight")), 0, f, 0, 8);
            assertEquals(1f, f[0]);
            assertEquals(32f, f[7]);
            assertTrue(g.getString("tokenizer.chat_template").contains("<|start_header_id|>"));
            assertEquals(0.6f, (float) g.getDouble("general.sampling.temp", 0));
        }
        Path mf = tmp.resolve("Modelfile");
        CliTest.Run r = CliTest.run("convert", hf("qwen3").toString(), tmp.resolve("q3.gguf").toString(), "--ollama-modelfile", mf.toString());
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(mf);
        assertTrue(text.startsWith("FROM " + tmp.resolve("q3.gguf").toAbsolutePath()), text);
        assertTrue(text.contains("{{ .Role }}") && text.contains("PARAMETER stop \"<|im_end|>\""), text);
    }

    @Test
    void sentencePieceModelAsLlamaCppReadsIt() throws Exception {
        Path gguf = tmp.resolve("spm.gguf");
        assertEquals(0, CliTest.run("convert", hf("llama-spm").toString(), gguf.toString()).code());
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals("llama", g.getString("tokenizer.ggml.model"));
            assertEquals("default", g.getString("tokenizer.ggml.pre"));
            String[] t = g.getArray("tokenizer.ggml.tokens").strings();
            int[] types = g.getArray("tokenizer.ggml.token_type").ints();
            assertEquals("<unk>", t[0]);
            assertEquals(2, types[0], "UNKNOWN");
            assertEquals(3, types[1], "<s> CONTROL");
            assertEquals("<0x0A>", t[3 + 10]);
            assertEquals(6, types[3 + 10], "BYTE");
            assertEquals(-259f, g.getArray("tokenizer.ggml.scores").floats()[259]);
            assertEquals(1, g.getLong("tokenizer.ggml.bos_token_id", -1));
            assertEquals(Boolean.TRUE, g.get("tokenizer.ggml.add_bos_token").value());
            assertNull(g.get("tokenizer.ggml.merges"));
        }
    }

    @Test
    void realQwen3TokenizerIsDetectedByLlamaCppsHash() throws Exception {
        Path tj = TestData.path("tokenizers/hf-qwen3/tokenizer.json");
        List<String> warnings = new java.util.ArrayList<>();
        assertEquals("qwen2", HfVocab.preName(TokenizerJsonLoader.load(tj), tj, warnings));
        assertTrue(warnings.isEmpty(), "known hash: no fallback warning " + warnings);
    }

    @Test
    void badInputsAreNamed() throws Exception {
        Path d = tmp.resolve("bad");
        copy(hf("qwen2"), d);
        ObjectNode c = (ObjectNode) JSON.readTree(d.resolve("config.json").toFile());
        c.putArray("architectures").add("GPT2LMHeadModel");
        JSON.writeValue(d.resolve("config.json").toFile(), c);
        CliTest.Run r = CliTest.run("convert", d.toString(), tmp.resolve("x.gguf").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("GPT2LMHeadModel is not supported"), r.err());

        c.putArray("architectures").add("Qwen2ForCausalLM");
        c.remove("hidden_size");
        JSON.writeValue(d.resolve("config.json").toFile(), c);
        r = CliTest.run("convert", d.toString(), tmp.resolve("x.gguf").toString());
        assertTrue(r.err().contains("config.json: missing hidden_size"), r.err());

        c.put("hidden_size", 64);
        c.put("intermediate_size", 96);
        JSON.writeValue(d.resolve("config.json").toFile(), c);
        r = CliTest.run("convert", d.toString(), tmp.resolve("x.gguf").toString());
        assertTrue(r.err().contains("tensor 'model.layers.0.mlp.gate_proj.weight' has shape [128, 64]; config.json implies [96, 64]"), r.err());

        r = CliTest.run("convert", hf("qwen2").toString(), tmp.resolve("x.gguf").toString(), "--outtype", "q4_k");
        assertTrue(r.err().contains("--outtype 'q4_k' is not one of"), r.err());
        Files.delete(d.resolve("model.safetensors"));
        r = CliTest.run("convert", d.toString(), tmp.resolve("x.gguf").toString());
        assertTrue(r.err().contains("no model.safetensors"), r.err());
    }

    static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) Files.copy(p, to.resolve(p.getFileName()));
        }
    }
}
