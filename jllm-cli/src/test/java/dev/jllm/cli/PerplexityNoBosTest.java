package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vocabulary that does not add BOS (the bundled chat model's) keeps each chunk's own first token, as llama-perplexity
 * does: on the model's F32 dequantization, jllm perplexity equals llama-perplexity's running and final values
 * (testdata/golden/llamacpp-ppl-nobos.json) to 10⁻⁴. Forcing BOS into the chunks, as jllm did before, is 0.15 % off. The
 * tolerance is float summation noise: on session 10's model the first chunk's running value (127 scored tokens) is 5.7·10⁻⁵
 * off and the final one 1.2·10⁻⁵ (on session 8's model all within 5·10⁻⁵).
 */
class PerplexityNoBosTest {
    static final double TOLERANCE = 1e-4;

    @TempDir Path tmp;

    @Test
    void chunksKeepTheirFirstTokenWhenTheVocabularyAddsNoBos() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(TestData.path("golden/llamacpp-ppl-nobos.json").toFile());
        Path model = BundledModel.path();
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(model)));
        assertEquals(golden.get("model_sha256").asText(), sha,
                model + " changed: regenerate the golden with scripts/golden/make_llamacpp_ppl_nobos_golden.sh");
        Path f32 = tmp.resolve("f32.gguf");
        CliTest.Run q = CliTest.run("quantize", model.toString(), f32.toString(), "--type", "F32");
        assertEquals(0, q.code(), q.err());
        CliTest.Run r = CliTest.run("perplexity", "-m", f32.toString(), "-f", TestData.path("corpora/tinystories_sample.txt").toString(),
                "-c", String.valueOf(golden.get("ctx").asInt()), "-t", "2");
        assertEquals(0, r.code(), r.err());
        double want = golden.get("final_ppl").asDouble();
        assertEquals(want, KlDivergenceTest.num(r.out(), "Final estimate: PPL = ([\\d.]+)"), want * TOLERANCE, r.out());
        JsonNode run = golden.get("running_ppl");
        for (int i = 0; i < run.size(); i++) {
            double w = run.get(i).asDouble();
            assertEquals(w, KlDivergenceTest.num(r.out(), "\\[" + (i + 1) + "\\]([\\d.]+)"), w * TOLERANCE, "chunk " + (i + 1) + ":\n" + r.out());
        }
    }
}
