package dev.jllm.model;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufWriter;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter as a GGUF file, in the layout llama.cpp's {@code convert_lora_to_gguf.py} writes
 * and {@code --lora} loads: {@code general.type = "adapter"}, {@code adapter.type = "lora"},
 * {@code adapter.lora.alpha}, and for every adapted matrix {@code W = blk.N.<name>.weight} two
 * tensors {@code W.lora_a} (ggml dims [in, r], i.e. A (r, in)) and {@code W.lora_b} (dims [r, out],
 * B (out, r)). The adapted matrix is W + s·B·A with s = alpha / r, llama.cpp's rule (an rsLoRA
 * adapter is written with alpha = s·r so that rule gives its scale).
 */
public final class LoraAdapter {
    /** One adapted matrix: {@code weight} is the base tensor's name. */
    public record Pair(String weight, int in, int out, int rank, float[] a, float[] b) {
        public Pair {
            if (a.length != (long) rank * in || b.length != (long) out * rank) {
                throw new IllegalArgumentException(weight + ": A must be (" + rank + ", " + in + ") and B (" + out + ", " + rank + ")");
            }
        }
    }

    public final String architecture;
    public final float alpha;
    public final Map<String, Pair> pairs; // by base tensor name, in file order

    public LoraAdapter(String architecture, float alpha, List<Pair> pairs) {
        if (pairs.isEmpty()) throw new IllegalArgumentException("an adapter needs at least one adapted matrix");
        Map<String, Pair> m = new LinkedHashMap<>();
        for (Pair p : pairs) m.put(p.weight(), p);
        this.architecture = architecture;
        this.alpha = alpha;
        this.pairs = Collections.unmodifiableMap(m);
    }

    public int rank() {
        return pairs.values().iterator().next().rank();
    }

    /** s = alpha / r (alpha 0 means 1, as llama.cpp). */
    public float scale() {
        return alpha == 0 ? 1f : alpha / rank();
    }

    public static LoraAdapter read(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            String type = f.getString("general.type");
            if (!"adapter".equals(type)) {
                throw new GgufFormatException(path + ": general.type is '" + type + "', expected 'adapter' (is this a model, not a LoRA adapter?)", -1);
            }
            String at = f.getString("adapter.type");
            if (!"lora".equals(at)) throw new GgufFormatException(path + ": adapter.type is '" + at + "', only 'lora' is supported", -1);
            String arch = f.getString("general.architecture");
            float alpha = (float) f.getDouble("adapter.lora.alpha", 0);
            Map<String, float[][]> ab = new LinkedHashMap<>();
            Map<String, int[]> shape = new LinkedHashMap<>(); // in, out, r
            for (GgufTensorInfo t : f.tensors()) {
                String n = t.name();
                boolean isA = n.endsWith(".lora_a"), isB = n.endsWith(".lora_b");
                if (!isA && !isB) throw new GgufFormatException(path + ": tensor '" + n + "' is neither .lora_a nor .lora_b", -1);
                long[] d = t.dims();
                if (d.length != 2) throw new GgufFormatException(path + ": tensor '" + n + "' must be 2-D, has dims " + t.shape(), -1);
                if (!BlockFormats.supported(t.type())) throw new GgufFormatException(path + ": tensor '" + n + "' has unsupported type " + t.type(), -1);
                String w = n.substring(0, n.length() - 7);
                float[] data = new float[Math.toIntExact(t.elementCount())];
                BlockFormats.of(t.type()).dequantize(f.tensorData(t), 0, data, 0, data.length);
                ab.computeIfAbsent(w, k -> new float[2][])[isA ? 0 : 1] = data;
                int[] s = shape.computeIfAbsent(w, k -> new int[] {-1, -1, -1});
                int r = (int) (isA ? d[1] : d[0]);
                if (s[2] >= 0 && s[2] != r) throw new GgufFormatException(path + ": " + w + ": lora_a and lora_b disagree on the rank", -1);
                s[2] = r;
                if (isA) s[0] = (int) d[0];
                else s[1] = (int) d[1];
            }
            List<Pair> pairs = new java.util.ArrayList<>();
            for (var e : ab.entrySet()) {
                if (e.getValue()[0] == null || e.getValue()[1] == null) {
                    throw new GgufFormatException(path + ": " + e.getKey() + " has only one of lora_a / lora_b", -1);
                }
                int[] s = shape.get(e.getKey());
                pairs.add(new Pair(e.getKey(), s[0], s[1], s[2], e.getValue()[0], e.getValue()[1]));
            }
            if (pairs.isEmpty()) throw new GgufFormatException(path + ": the adapter has no tensors", -1);
            int r = pairs.getFirst().rank();
            for (Pair p : pairs) if (p.rank() != r) throw new GgufFormatException(path + ": mixed ranks are not supported (" + p.weight() + ")", -1);
            return new LoraAdapter(arch, alpha, pairs);
        }
    }

    /** Writes the adapter (F32 tensors) atomically; {@code extra} metadata is added as is (e.g. general.name, training notes). */
    public void write(Path out, Map<String, GgufValue> extra) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.ofString(architecture));
        w.put("general.type", GgufValue.ofString("adapter"));
        w.put("adapter.type", GgufValue.ofString("lora"));
        w.put("adapter.lora.alpha", GgufValue.ofFloat32(alpha));
        w.putAll(extra);
        for (Pair p : pairs.values()) {
            float[] a = p.a(), b = p.b();
            w.addTensor(p.weight() + ".lora_a", GgmlType.F32, new long[] {p.in(), p.rank()},
                    ModelWriter.encode(GgmlType.F32, p.rank(), p.in(), (r, dst) -> System.arraycopy(a, (int) (r * p.in()), dst, 0, p.in()), null));
            w.addTensor(p.weight() + ".lora_b", GgmlType.F32, new long[] {p.rank(), p.out()},
                    ModelWriter.encode(GgmlType.F32, p.out(), p.rank(), (r, dst) -> System.arraycopy(b, (int) (r * p.rank()), dst, 0, p.rank()), null));
        }
        Path abs = out.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        w.write(tmp);
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** W[row] + s·B[row]·A into {@code dst} (cols = in): one row of the merged matrix. */
    public static void mergeRow(Pair p, float scale, int row, float[] dst) {
        float[] a = p.a(), b = p.b();
        int r = p.rank(), in = p.in();
        for (int k = 0; k < r; k++) {
            float s = scale * b[row * r + k];
            if (s == 0f) continue;
            int ao = k * in;
            for (int c = 0; c < in; c++) dst[c] += s * a[ao + c];
        }
    }
}
