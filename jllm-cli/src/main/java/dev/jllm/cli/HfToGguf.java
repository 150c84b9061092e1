package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufWriter;
import dev.jllm.model.Safetensors;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hugging Face checkpoint → GGUF, writing what llama.cpp's {@code convert_hf_to_gguf.py} writes for
 * LlamaForCausalLM / MistralForCausalLM (arch "llama"), Qwen2ForCausalLM ("qwen2") and
 * Qwen3ForCausalLM ("qwen3"): the same {@code general.*}/{@code {arch}.*} keys (TextModel and
 * LlamaModel {@code set_gguf_parameters}), tensor names (gguf-py's tensor map), tensor types
 * (1-D tensors, norms and biases F32; matrices the out type; Q8_0 rows not a multiple of 32 → F16),
 * llama's q/k permutation (HF rotates halves; llama.cpp's "llama" RoPE rotates adjacent pairs) and,
 * for rope_scaling llama3, the {@code rope_freqs.weight} factors computed as LlamaModel's
 * {@code generate_extra_tensors} does (float32 arithmetic on the inverse frequencies).
 *
 * <p>Tensors are mapped, never loaded whole: each is converted in row blocks while the GGUF is being
 * written, so memory stays at a few MB beyond the OS page cache whatever the model size.
 */
final class HfToGguf {
    private HfToGguf() {}

    enum OutType {
        F32(GgmlType.F32, 0), F16(GgmlType.F16, 1), BF16(GgmlType.BF16, 32), Q8_0(GgmlType.Q8_0, 7), AUTO(null, -1);

        final GgmlType type;
        final int fileType;

        OutType(GgmlType type, int fileType) {
            this.type = type;
            this.fileType = fileType;
        }

        static OutType parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--outtype '" + s + "' is not one of f32, f16, bf16, q8_0, auto");
            }
        }
    }

    /** What was written, for the command's summary. */
    record Result(String architecture, long parameters, int tensors, String pre, List<String> warnings) {}

    private record Plan(String ggufName, String hfName, GgmlType type, long rows, long cols, int permuteHeads, float[] values) {}

    static String architecture(HfCheckpoint ck) throws IOException {
        JsonNode a = ck.config.path("architectures");
        String hf = a.isArray() && !a.isEmpty() ? a.get(0).asText() : null;
        if (hf == null) throw new IOException(ck.dir.resolve("config.json") + ": missing architectures (e.g. [\"LlamaForCausalLM\"])");
        return switch (hf) {
            case "LlamaForCausalLM", "MistralForCausalLM" -> "llama";
            case "Qwen2ForCausalLM" -> "qwen2";
            case "Qwen3ForCausalLM" -> "qwen3";
            default -> throw new IOException(ck.dir.resolve("config.json") + ": architecture " + hf
                    + " is not supported; jllm converts LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM"
                    + " (use llama.cpp's convert_hf_to_gguf.py for others)");
        };
    }

    static Result convert(Path dir, Path out, OutType outType, PrintWriter log) throws IOException {
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            String arch = architecture(ck);
            int nLayer = ck.requiredInt("num_hidden_layers");
            int nEmbd = ck.requiredInt("hidden_size");
            int nHead = ck.requiredInt("num_attention_heads");
            Integer nHeadKvOpt = ck.optInt("num_key_value_heads");
            int nHeadKv = nHeadKvOpt != null ? nHeadKvOpt : nHead;
            int nFf = ck.requiredInt("intermediate_size");
            int nVocab = ck.requiredInt("vocab_size");
            Integer headDimOpt = ck.optInt("head_dim");
            int headDim = headDimOpt != null ? headDimOpt : nEmbd / nHead;
            Double eps = ck.optNumber("rms_norm_eps");
            if (eps == null) throw new IOException(ck.dir.resolve("config.json") + ": missing rms_norm_eps");
            JsonNode rope = ck.config.has("rope_parameters") ? ck.config.get("rope_parameters") : ck.config.get("rope_scaling");
            if (rope != null && rope.isNull()) rope = null;
            Double theta = ck.optNumber("rope_theta");
            if (theta == null && rope != null && rope.path("rope_theta").isNumber()) theta = rope.get("rope_theta").asDouble();
            String ropeType = rope == null ? null : rope.has("rope_type") ? rope.get("rope_type").asText() : rope.path("type").asText(null);

            List<String> warnings = new ArrayList<>();
            List<Plan> plans = new ArrayList<>();
            if (ropeType != null && ropeType.equalsIgnoreCase("llama3")) {
                plans.add(new Plan("rope_freqs.weight", null, GgmlType.F32, 1, headDim / 2, 0,
                        llama3RopeFactors(theta != null ? theta : 10000.0, headDim, rope)));
            } else if (ropeType != null && !ropeType.equals("linear") && !ropeType.equals("default")) {
                throw new IOException(ck.dir.resolve("config.json") + ": rope_scaling type '" + ropeType
                        + "' is not converted by jllm (supported: none, linear, llama3)");
            }
            // ---- tensors
            GgmlType auto = null;
            List<String> names = new ArrayList<>();
            ck.tensorNames().forEach(names::add);
            for (String n : names) {
                HfCheckpoint.Source s = ck.tensor(n);
                if (s.info().shape().length == 2 && auto == null) {
                    auto = switch (s.info().dtype()) {
                        case BF16 -> GgmlType.BF16;
                        default -> GgmlType.F16;
                    };
                }
            }
            GgmlType matType = outType == OutType.AUTO ? (auto == null ? GgmlType.F16 : auto) : outType.type;
            boolean llama = arch.equals("llama");
            Map<String, Plan> byGguf = new LinkedHashMap<>();
            for (String n : names) {
                if (n.endsWith("rotary_emb.inv_freq")) continue; // recomputed by every runner, as llama.cpp skips it
                String g = HfNames.toGguf(n);
                if (g == null) throw new IOException(ck.tensor(n).file().path() + ": tensor '" + n + "' has no GGUF name for " + arch + "; not a "
                        + arch + " checkpoint, or a variant jllm does not convert");
                Safetensors.Info info = ck.tensor(n).info();
                long[] shape = info.shape();
                if (shape.length < 1 || shape.length > 2) throw new IOException("tensor '" + n + "' has shape " + info.shapeText() + "; expected 1 or 2 dimensions");
                switch (info.dtype()) {
                    case F32, F16, BF16 -> { }
                    default -> throw new IOException(ck.tensor(n).file().path() + ": tensor '" + n + "' has dtype " + info.dtype()
                            + "; jllm converts F32, F16 and BF16 checkpoints (dequantize GPTQ/AWQ/FP8 models first)");
                }
                long rows = shape.length == 2 ? shape[0] : 1, cols = shape[shape.length - 1];
                GgmlType t = (shape.length == 1 || g.endsWith("_norm.weight") || !g.endsWith(".weight")) ? GgmlType.F32 : matType;
                if (t == GgmlType.Q8_0 && cols % 32 != 0) {
                    warnings.add(n + ": rows of " + cols + " are not a multiple of 32, written as F16 (as llama.cpp falls back)");
                    t = GgmlType.F16;
                }
                int perm = 0;
                if (llama && (g.endsWith("attn_q.weight") || g.endsWith("attn_q.bias"))) perm = nHead;
                if (llama && (g.endsWith("attn_k.weight") || g.endsWith("attn_k.bias"))) perm = nHeadKv;
                byGguf.put(g, new Plan(g, n, t, rows, cols, perm, null));
            }
            checkShapes(ck, byGguf, nLayer, nEmbd, nHead, nHeadKv, headDim, nFf, nVocab, arch);
            plans.addAll(byGguf.values());

            long params = 0;
            for (Plan p : plans) params += p.rows * p.cols;
            // ---- metadata, in convert_hf_to_gguf's order
            GgufWriter w = new GgufWriter();
            w.put("general.architecture", GgufValue.ofString(arch));
            w.put("general.type", GgufValue.ofString("model"));
            JsonNode gen = HfCheckpoint.readJson(dir.resolve("generation_config.json"), false);
            if (gen != null) {
                if (gen.path("top_k").isInt()) w.put("general.sampling.top_k", GgufValue.ofInt32(gen.get("top_k").asInt()));
                if (gen.path("top_p").isNumber()) w.put("general.sampling.top_p", GgufValue.ofFloat32((float) gen.get("top_p").asDouble()));
                if (gen.path("min_p").isNumber()) w.put("general.sampling.min_p", GgufValue.ofFloat32((float) gen.get("min_p").asDouble()));
                if (gen.path("temperature").isNumber()) w.put("general.sampling.temp", GgufValue.ofFloat32((float) gen.get("temperature").asDouble()));
            }
            String dirName = dir.toAbsolutePath().normalize().getFileName().toString();
            HfModelName id = HfModelName.of(ck.config.path("_name_or_path").asText(null), dirName, params);
            w.put("general.name", GgufValue.ofString(id.name() != null ? id.name() : dirName));
            if (id.version() != null) w.put("general.version", GgufValue.ofString(id.version()));
            if (id.organization() != null) w.put("general.organization", GgufValue.ofString(id.organization()));
            if (id.finetune() != null) w.put("general.finetune", GgufValue.ofString(id.finetune()));
            if (id.basename() != null) w.put("general.basename", GgufValue.ofString(id.basename()));
            w.put("general.size_label", GgufValue.ofString(id.sizeLabel() != null ? id.sizeLabel() : sizeLabel(params)));
            w.put(arch + ".block_count", GgufValue.ofUInt32(nLayer));
            Integer ctx = ck.optInt("max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length", "model_max_length");
            if (ctx != null) w.put(arch + ".context_length", GgufValue.ofUInt32(ctx));
            w.put(arch + ".embedding_length", GgufValue.ofUInt32(nEmbd));
            w.put(arch + ".feed_forward_length", GgufValue.ofUInt32(nFf));
            w.put(arch + ".attention.head_count", GgufValue.ofUInt32(nHead));
            if (nHeadKvOpt != null) w.put(arch + ".attention.head_count_kv", GgufValue.ofUInt32(nHeadKv));
            if ("linear".equals(ropeType) && rope.path("factor").isNumber()) {
                w.put(arch + ".rope.scaling.type", GgufValue.ofString("linear"));
                w.put(arch + ".rope.scaling.factor", GgufValue.ofFloat32((float) rope.get("factor").asDouble()));
            }
            if (theta != null) w.put(arch + ".rope.freq_base", GgufValue.ofFloat32(theta.floatValue()));
            w.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(eps.floatValue()));
            if (headDimOpt != null) {
                w.put(arch + ".attention.key_length", GgufValue.ofUInt32(headDim));
                w.put(arch + ".attention.value_length", GgufValue.ofUInt32(headDim));
            }
            int fileType = outType == OutType.AUTO ? (matType == GgmlType.BF16 ? 32 : 1) : outType.fileType;
            w.put("general.file_type", GgufValue.ofUInt32(fileType));
            if (llama) {
                w.put(arch + ".vocab_size", GgufValue.ofUInt32(nVocab));
                w.put(arch + ".rope.dimension_count", GgufValue.ofUInt32(headDim));
            }
            w.put("general.quantization_version", GgufValue.ofUInt32(2));
            Map<String, GgufValue> vocab = HfVocab.metadata(dir, ck.config, nVocab, llama, warnings);
            vocab.forEach(w::put);

            // ---- tensors, streamed
            Progress progress = log == null ? null : new Progress(log, "convert", params, false);
            for (Plan p : plans) {
                long[] dims = p.rows == 1 && (p.values != null || ck.tensor(p.hfName).info().shape().length == 1) ? new long[] {p.cols} : new long[] {p.cols, p.rows};
                w.addTensor(p.ggufName, p.type, dims, os -> {
                    writeTensor(ck, p, os);
                    if (progress != null) progress.add(p.rows * p.cols);
                });
            }
            try {
                w.write(out);
            } finally {
                if (progress != null) progress.close();
            }
            return new Result(arch, params, plans.size(), vocab.get("tokenizer.ggml.pre").value().toString(), warnings);
        }
    }

    /** Every tensor the architecture needs, with the shape config.json implies; errors name the tensor. */
    private static void checkShapes(HfCheckpoint ck, Map<String, Plan> t, int nLayer, int nEmbd, int nHead, int nHeadKv, int headDim, int nFf,
            int nVocab, String arch) throws IOException {
        List<String> missing = new ArrayList<>();
        Map<String, long[]> want = new LinkedHashMap<>();
        want.put("token_embd.weight", new long[] {nVocab, nEmbd});
        want.put("output_norm.weight", new long[] {nEmbd});
        if (t.containsKey("output.weight")) want.put("output.weight", new long[] {nVocab, nEmbd});
        for (int l = 0; l < nLayer; l++) {
            String b = "blk." + l + ".";
            want.put(b + "attn_norm.weight", new long[] {nEmbd});
            want.put(b + "attn_q.weight", new long[] {(long) nHead * headDim, nEmbd});
            want.put(b + "attn_k.weight", new long[] {(long) nHeadKv * headDim, nEmbd});
            want.put(b + "attn_v.weight", new long[] {(long) nHeadKv * headDim, nEmbd});
            want.put(b + "attn_output.weight", new long[] {nEmbd, (long) nHead * headDim});
            want.put(b + "ffn_norm.weight", new long[] {nEmbd});
            want.put(b + "ffn_gate.weight", new long[] {nFf, nEmbd});
            want.put(b + "ffn_up.weight", new long[] {nFf, nEmbd});
            want.put(b + "ffn_down.weight", new long[] {nEmbd, nFf});
            if (arch.equals("qwen2") || (arch.equals("llama") && t.containsKey(b + "attn_q.bias"))) { // llama: attention_bias=true
                want.put(b + "attn_q.bias", new long[] {(long) nHead * headDim});
                want.put(b + "attn_k.bias", new long[] {(long) nHeadKv * headDim});
                want.put(b + "attn_v.bias", new long[] {(long) nHeadKv * headDim});
            }
            if (arch.equals("llama") && t.containsKey(b + "attn_output.bias")) want.put(b + "attn_output.bias", new long[] {nEmbd});
            if (arch.equals("qwen3")) {
                want.put(b + "attn_q_norm.weight", new long[] {headDim});
                want.put(b + "attn_k_norm.weight", new long[] {headDim});
            }
        }
        for (var e : want.entrySet()) {
            Plan p = t.get(e.getKey());
            if (p == null) {
                missing.add(e.getKey());
                continue;
            }
            long[] have = ck.tensor(p.hfName).info().shape();
            if (!java.util.Arrays.equals(have, e.getValue())) {
                throw new IOException("tensor '" + p.hfName + "' has shape " + java.util.Arrays.toString(have) + "; config.json implies "
                        + java.util.Arrays.toString(e.getValue()));
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException(ck.dir + ": missing tensors for " + arch + " (HF names model.layers.N.*): "
                    + String.join(", ", missing.subList(0, Math.min(8, missing.size()))) + (missing.size() > 8 ? " and " + (missing.size() - 8) + " more" : ""));
        }
        for (String g : t.keySet()) {
            if (!want.containsKey(g)) throw new IOException("tensor '" + t.get(g).hfName + "' (" + g + ") is not part of a " + arch + " model with "
                    + nLayer + " layers as config.json describes");
        }
    }

    /** Rows in blocks of ≈1 M values: read (mapped), reorder for the q/k permutation, encode, write. */
    private static void writeTensor(HfCheckpoint ck, Plan p, java.io.OutputStream os) throws IOException {
        if (p.values != null) {
            byte[] b = new byte[p.values.length * 4];
            BlockFormats.of(GgmlType.F32).quantize(p.values, 0, p.values.length, MemorySegment.ofArray(b), 0);
            os.write(b);
            return;
        }
        HfCheckpoint.Source s = ck.tensor(p.hfName);
        MemorySegment src = s.file().map(s.info());
        GgmlType srcType = switch (s.info().dtype()) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            default -> GgmlType.BF16;
        };
        int cols = (int) p.cols;
        long srcRow = srcType.rowBytes(cols);
        if (p.permuteHeads == 0 && srcType == p.type) { // same bytes: copy
            byte[] buf = new byte[1 << 20];
            for (long off = 0; off < src.byteSize(); off += buf.length) {
                int n = (int) Math.min(buf.length, src.byteSize() - off);
                MemorySegment.copy(src, java.lang.foreign.ValueLayout.JAVA_BYTE, off, buf, 0, n);
                os.write(buf, 0, n);
            }
            return;
        }
        if (p.permuteHeads > 0 && p.rows == 1) { // a q/k bias: the same permutation over its elements
            float[] in = new float[cols], out = new float[cols];
            BlockFormats.of(srcType).dequantize(src, 0, in, 0, cols);
            int hd = cols / p.permuteHeads;
            for (int r = 0; r < cols; r++) out[r] = in[(r / hd) * hd + (r % hd % 2) * (hd / 2) + (r % hd) / 2];
            byte[] b = new byte[(int) p.type.rowBytes(cols)];
            BlockFormats.of(p.type).quantize(out, 0, cols, MemorySegment.ofArray(b), 0);
            os.write(b);
            return;
        }
        int block = (int) Math.max(1, Math.min(p.rows, (1 << 20) / Math.max(1, cols)));
        float[] f = new float[block * cols];
        byte[] outBuf = new byte[(int) (p.type.rowBytes(cols) * block)];
        long headRows = p.permuteHeads == 0 ? 0 : p.rows / p.permuteHeads;
        for (long r0 = 0; r0 < p.rows; r0 += block) {
            int n = (int) Math.min(block, p.rows - r0);
            for (int i = 0; i < n; i++) {
                long r = r0 + i, from = r;
                if (p.permuteHeads > 0) { // out row h*hd + 2j + t ← in row h*hd + t*hd/2 + j (LlamaModel.permute)
                    long h = r / headRows, k = r % headRows;
                    from = h * headRows + (k % 2) * (headRows / 2) + k / 2;
                }
                BlockFormats.of(srcType).dequantize(src, from * srcRow, f, i * cols, cols);
            }
            int bytes = (int) (p.type.rowBytes(cols) * n);
            BlockFormats.of(p.type).quantize(f, 0, n * cols, MemorySegment.ofArray(outBuf), 0);
            os.write(outBuf, 0, bytes);
        }
    }

    /** LlamaModel.generate_extra_tensors for rope_type llama3, in float32 as torch computes the frequencies. */
    static float[] llama3RopeFactors(double base, int dim, JsonNode rp) {
        return llama3RopeFactors(base, dim, rp.path("factor").asDouble(8.0), rp.path("low_freq_factor").asDouble(1.0),
                rp.path("high_freq_factor").asDouble(4.0), rp.path("original_max_position_embeddings").asDouble(8192));
    }

    static float[] llama3RopeFactors(double base, int dim, double factor, double low, double high, double old) {
        float lowWave = (float) (old / low), highWave = (float) (old / high); // Python floats, compared with float32 tensors
        float[] out = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            float freq = 1f / (float) Math.pow((float) base, (float) (2 * i) / dim);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWave) out[i] = 1f;
            else if (wavelen > lowWave) out[i] = (float) factor;
            else {
                float smooth = ((float) old / wavelen - (float) low) / (float) (high - low);
                out[i] = 1f / ((1f - smooth) / (float) factor + smooth);
            }
        }
        return out;
    }

    /** gguf-py's size_label / model_weight_count_rounded_notation (min_digits 2; Python's round-half-even). */
    static String sizeLabel(long n) {
        double scaled;
        String suffix;
        if (n > 1e12) { scaled = n * 1e-12; suffix = "T"; }
        else if (n > 1e9) { scaled = n * 1e-9; suffix = "B"; }
        else if (n > 1e6) { scaled = n * 1e-6; suffix = "M"; }
        else { scaled = n * 1e-3; suffix = "K"; }
        String digits = Long.toString((long) Math.rint(scaled)).replaceFirst("^0+", "");
        int fix = Math.max(2 - digits.length(), 0);
        return String.format(Locale.ROOT, "%." + fix + "f", scaled) + suffix;
    }
}
