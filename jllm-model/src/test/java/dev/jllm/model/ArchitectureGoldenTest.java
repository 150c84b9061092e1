package dev.jllm.model;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each architecture's forward pass (llama: adjacent-pair RoPE; qwen2: QKV bias, NeoX RoPE; qwen3:
 * per-head q/k RMSNorm) agrees with llama.cpp: perplexity of the same random model on the same text
 * within 0.1% (testdata/golden/llamacpp-archs.json, scripts/golden/make_llamacpp_arch_golden.sh).
 */
class ArchitectureGoldenTest {

    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void perplexityEqualsLlamaCpp(String arch) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestData.path("golden/llamacpp-archs.json").toFile());
        double want = golden.get("ppl").get(arch).asDouble();
        // `jllm init --arch A --dim 256 --hidden 512 --layers 3 --heads 4 --kv-heads 2 --head-dim 64 --vocab 600 --ctx 256`
        // on top of the "tiny" preset (eps 1e-5, theta 1e4, tied embeddings)
        ModelConfig c = new ModelConfig(arch, 256, 512, 3, 4, 2, 64, 600, 256, 1e-5f, 10000f, true);
        Path model = tmp.resolve(arch + ".gguf");
        RandomModel.write(c, GgmlType.F32, 5, 0.08, model, null);
        // as llama-perplexity -f reads it: the whole file, one trailing newline dropped
        String text = Files.readString(TestData.path("corpora/tinystories_sample.txt"), StandardCharsets.UTF_8);
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        try (ModelFile f = ModelFile.open(model); Matmul mm = new Matmul(2)) {
            var tok = GgufTokenizerLoader.load(f.gguf());
            Transformer tr = new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F16, 16, 16), mm);
            Perplexity.Result r = Perplexity.compute(tr, tok.encode(text, true, false), 128, tok.chunkBos(), null);
            assertEquals(want, r.ppl(), want * 0.001, arch);
        }
    }
}
