package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.model.Batch;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** /v1/embeddings: each vector is the mean-pooled, L2-normalised final hidden state computed directly; batches, base64, errors. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddingsApiTest extends WithServerAndModel {
    /** The direct computation: one forward pass, hidden states after the output norm, mean, L2-normalised. */
    static double[] direct(int[] ids) {
        Transformer tr = new Transformer(m.weights, new KvCacheManager(m.weights.config, GgmlType.F16, 16, 16), m.matmul);
        int seq = tr.cache().allocate();
        float[][] h = tr.forward(Batch.of(seq, ids, 0, Batch.Logits.HIDDEN)).get(0);
        double[] mean = new double[h[0].length];
        for (float[] r : h) for (int j = 0; j < mean.length; j++) mean[j] += r[j] / h.length;
        double n = 0;
        for (double v : mean) n += v * v;
        for (int j = 0; j < mean.length; j++) mean[j] /= Math.sqrt(n);
        return mean;
    }

    static void assertVector(double[] want, JsonNode got) {
        assertEquals(want.length, got.size());
        for (int j = 0; j < want.length; j++) assertEquals(want[j], got.get(j).asDouble(), 1e-5, "dimension " + j);
    }

    @Test
    void embeddingsAreThePooledFinalHiddenStatesInOpenAisShape() throws Exception {
        String a = "Once upon a time there was a cat", b = "The dog ran to the park";
        int[] ib = m.tokenizer.encode(b, true, false);
        StringBuilder ids = new StringBuilder();
        for (int t : ib) ids.append(ids.isEmpty() ? "" : ",").append(t);
        HttpResponse<String> r = s.post("/v1/embeddings", """
                {"model":"stories260K","input":["%s",[%s],"%s"]}""".formatted(a, ids, b), null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = ServerFixture.json(r);
        assertEquals("list", j.get("object").asText());
        assertEquals("stories260K", j.get("model").asText());
        assertEquals(3, j.get("data").size());
        for (int i = 0; i < 3; i++) {
            assertEquals("embedding", j.get("data").get(i).get("object").asText());
            assertEquals(i, j.get("data").get(i).get("index").asInt());
        }
        int[] ia = m.tokenizer.encode(a, true, false);
        assertVector(direct(ia), j.get("data").get(0).get("embedding"));
        assertVector(direct(ib), j.get("data").get(1).get("embedding"));
        for (int k = 0; k < j.get("data").get(1).get("embedding").size(); k++) { // text and its token ids: the same vector (float rounding aside)
            assertEquals(j.get("data").get(1).get("embedding").get(k).asDouble(), j.get("data").get(2).get("embedding").get(k).asDouble(), 1e-6);
        }
        assertEquals(ia.length + 2 * ib.length, j.get("usage").get("prompt_tokens").asInt());
        assertEquals(ia.length + 2 * ib.length, j.get("usage").get("total_tokens").asInt());
        // base64: little-endian float32, the same numbers
        JsonNode b64 = ServerFixture.json(s.post("/v1/embeddings", """
                {"model":"stories260K","input":"%s","encoding_format":"base64"}""".formatted(a), null));
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64.get("data").get(0).get("embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
        JsonNode floats = j.get("data").get(0).get("embedding");
        assertEquals(floats.size() * 4, buf.remaining());
        for (int k = 0; k < floats.size(); k++) assertEquals((float) floats.get(k).asDouble(), buf.getFloat(), 1e-6f); // another request: float rounding
        // dimensions equal to the model's size is fine
        int dim = floats.size();
        assertEquals(200, s.post("/v1/embeddings", "{\"model\":\"stories260K\",\"input\":\"x\",\"dimensions\":" + dim + "}", null).statusCode());
    }

    @Test
    void badInputsAre400sNamingTheField() throws Exception {
        String[][] cases = {
            {"{\"model\":\"stories260K\",\"input\":\"\"}", "input", "must not be empty"},
            {"{\"model\":\"stories260K\",\"input\":[]}", "input", "empty array"},
            {"{\"model\":\"stories260K\",\"input\":[\"a\",3.5]}", "input", "input[1]"},
            {"{\"model\":\"stories260K\",\"input\":[1,99999]}", "input", "token id"},
            {"{\"model\":\"stories260K\",\"input\":\"a\",\"encoding_format\":\"int8\"}", "encoding_format", "base64"},
            {"{\"model\":\"stories260K\",\"input\":\"a\",\"dimensions\":8}", "dimensions", "cannot be shortened"},
            {"{\"model\":\"stories260K\",\"input\":\"" + "a b ".repeat(200) + "\"}", "input", "maximum context length"},
            {"{\"input\":\"a\"}", "model", "required"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = s.post("/v1/embeddings", c[0], null);
            assertEquals(400, r.statusCode(), r.body());
            JsonNode e = ServerFixture.json(r).get("error");
            assertEquals(c[1], e.get("param").asText(), r.body());
            assertTrue(e.get("message").asText().contains(c[2]), r.body());
        }
    }
}
