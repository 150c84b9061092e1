package dev.jllm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.tensor.GgmlType;
import dev.jllm.testkit.ChildJvm;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same request gives the same logits, bit for bit, whether the kernels run compiled by C2 (Vector API
 * intrinsics) or not yet (the first requests after start-up run the API's Java fallback, lane by lane). The
 * JDK's lanewise EXP (SVML once compiled, Math.exp per lane before) and reduceLanes(ADD) (another lane
 * order once compiled) made the first requests of a fresh server differ in the last bits from later ones —
 * at temperature 0 a near-tie could then pick another token for the same request. A child JVM limited to
 * C1 ({@code -XX:TieredStopAtLevel=1}: no Vector API intrinsics) computes the logits of a fixed token
 * sequence — one prefill batch, batches of 2–8, token by token — for a model of every weight type, and this
 * JVM computes the same after warming up.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class JitTierInvariantTest {
    @TempDir Path tmp;

    static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
        GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS};

    /** Logits of every position: a 40-token batch, the same in batches of 2–8, then 12 tokens one at a time. */
    static List<float[]> logits(Path model) throws IOException {
        int n = 40;
        int[] toks = new int[n];
        for (int i = 0; i < n; i++) toks[i] = (i * 37 + 11) % 600;
        List<float[]> all = new ArrayList<>();
        try (ModelFile f = ModelFile.open(model); Matmul mm = new Matmul(2)) {
            Transformer tr = new Transformer(new Weights(f), new KvCacheManager(f.config(), GgmlType.F16, 16, 16), mm);
            all.addAll(Arrays.asList(tr.forward(Batch.of(tr.cache().allocate(), toks, 0, Batch.Logits.ALL)).get(0)));
            int s = tr.cache().allocate(), pos = 0;
            for (int k : PrefillDecodeConsistencyTest.CHUNKS) {
                all.addAll(Arrays.asList(tr.forward(Batch.of(s, Arrays.copyOfRange(toks, pos, pos + k), pos, Batch.Logits.ALL)).get(0)));
                pos += k;
            }
            for (int i = 0; i < 12; i++) all.add(tr.forward(Batch.of(s, new int[] {(i * 53 + 7) % 600}, pos + i, Batch.Logits.LAST)).get(0)[0]);
        }
        return all;
    }

    /** The child: {@code MODEL OUT} pairs; writes each model's logits as raw float bits. */
    public static void main(String[] args) throws IOException {
        for (int a = 0; a < args.length; a += 2) {
            try (OutputStream os = Files.newOutputStream(Path.of(args[a + 1])); DataOutputStream out = new DataOutputStream(os)) {
                for (float[] row : logits(Path.of(args[a]))) {
                    for (float v : row) out.writeInt(Float.floatToRawIntBits(v));
                }
            }
        }
    }

    @Test
    void theLogitsDoNotDependOnTheJitTier() throws Exception {
        ModelConfig c = new ModelConfig("llama", 256, 512, 2, 4, 2, 64, 600, 256, 1e-5f, 10000f, true);
        List<String> cmd = ChildJvm.command(JitTierInvariantTest.class.getName(), "-XX:TieredStopAtLevel=1", "-Xmx1g");
        for (GgmlType t : TYPES) {
            Path m = tmp.resolve(t + ".gguf");
            RandomModel.write(c, t, 5, 0.08, m, null);
            cmd.add(m.toString());
            cmd.add(tmp.resolve(t + ".c1.bin").toString());
        }
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        for (int warm = 0; warm < 3; warm++) {
            for (GgmlType t : TYPES) logits(tmp.resolve(t + ".gguf"));
        }
        assertTrue(p.waitFor(500, TimeUnit.SECONDS), "the C1 child did not finish");
        assertEquals(0, p.exitValue(), () -> "the C1 child failed: " + read(log));
        for (GgmlType t : TYPES) {
            List<float[]> warm = logits(tmp.resolve(t + ".gguf"));
            ByteBuffer cold = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve(t + ".c1.bin")));
            int differ = 0, first = -1;
            for (int r = 0; r < warm.size(); r++) {
                for (int v = 0; v < warm.get(r).length; v++) {
                    if (Float.floatToRawIntBits(warm.get(r)[v]) != cold.getInt()) {
                        if (first < 0) first = r;
                        differ++;
                    }
                }
            }
            assertEquals(0, cold.remaining(), t + ": the child wrote another number of logits");
            assertEquals(0, differ, t + ": logits differing between C1 and this JVM's compiled kernels, first in row " + first);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
