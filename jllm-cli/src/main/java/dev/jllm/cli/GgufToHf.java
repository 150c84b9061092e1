package dev.jllm.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.model.Safetensors;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GGUF (llama / qwen2 / qwen3) → a Hugging Face directory transformers loads: safetensors (sharded
 * with {@code model.safetensors.index.json} above {@code maxShard} bytes), config.json,
 * generation_config.json, and for byte-level BPE vocabularies tokenizer.json + tokenizer_config.json
 * (chat template, special tokens). The inverse of {@link HfToGguf}: names mapped back, llama's q/k
 * rows un-permuted, quantized tensors dequantized, {@code rope_freqs.weight} turned back into
 * config.json's llama3 rope_scaling (the parameters are searched for among the values Llama 3.x
 * uses and must reproduce the tensor exactly; otherwise the export stops and says so).
 *
 * <p>Tensors are streamed: each is decoded and encoded in row blocks straight into its shard.
 */
final class GgufToHf {
    private GgufToHf() {}

    record Result(int tensors, int shards, long bytes, boolean tokenizer, List<String> warnings) {}

    private record Out(String hfName, GgufTensorInfo src, long rows, long cols, int unpermuteHeads) {}

    /** Hugging Face's own Split regexes for the pre-tokenizers whose tokenizer.json form is known. */
    private static final Map<String, String> HF_REGEX = Map.of(
            "llama-bpe", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "qwen2", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    static Result export(Path gguf, Path dir, Safetensors.Dtype dtypeOpt, long maxShard, PrintWriter log) throws IOException {
        List<String> warnings = new ArrayList<>();
        try (GgufFile g = GgufFile.open(gguf)) {
            String arch = g.getString("general.architecture");
            String hfArch = switch (arch) {
                case "llama" -> "LlamaForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                case "qwen3" -> "Qwen3ForCausalLM";
                default -> throw new IOException(gguf + ": general.architecture '" + arch + "' is not exported; jllm exports llama, qwen2 and qwen3");
            };
            int nHead = (int) g.getLong(arch + ".attention.head_count", -1);
            int nHeadKv = (int) g.getLong(arch + ".attention.head_count_kv", nHead);
            int nEmbd = (int) g.getLong(arch + ".embedding_length", -1);
            if (nHead <= 0 || nEmbd <= 0) throw new IOException(gguf + ": missing " + arch + ".attention.head_count or " + arch + ".embedding_length");
            int headDim = (int) g.getLong(arch + ".attention.key_length", nEmbd / nHead);
            GgufTensorInfo embd = g.tensor("token_embd.weight");
            if (embd == null) throw new IOException(gguf + ": no token_embd.weight tensor");
            Safetensors.Dtype dtype = dtypeOpt != null ? dtypeOpt : switch (embd.type()) {
                case F32 -> Safetensors.Dtype.F32;
                case F16 -> Safetensors.Dtype.F16;
                default -> Safetensors.Dtype.BF16;
            };
            GgmlType outType = dtype == Safetensors.Dtype.F32 ? GgmlType.F32 : dtype == Safetensors.Dtype.F16 ? GgmlType.F16 : GgmlType.BF16;
            // ---- tensors
            List<Out> outs = new ArrayList<>();
            float[] ropeFreqs = null;
            for (GgufTensorInfo t : g.tensors()) {
                String n = t.name();
                if (n.equals("rope_freqs.weight")) {
                    ropeFreqs = new float[(int) t.dims()[0]];
                    BlockFormats.of(t.type()).dequantize(g.tensorData(t), 0, ropeFreqs, 0, ropeFreqs.length);
                    continue;
                }
                String hf = HfNames.toHf(n);
                if (hf == null) throw new IOException(gguf + ": tensor '" + n + "' has no Hugging Face name for " + hfArch);
                if (!BlockFormats.supported(t.type())) throw new IOException(gguf + ": tensor '" + n + "' has type " + t.type() + ", which jllm cannot dequantize");
                long cols = t.dims()[0], rows = t.dims().length > 1 ? t.dims()[1] : 1;
                int un = 0;
                if (arch.equals("llama") && (n.endsWith("attn_q.weight") || n.endsWith("attn_q.bias"))) un = nHead;
                if (arch.equals("llama") && (n.endsWith("attn_k.weight") || n.endsWith("attn_k.bias"))) un = nHeadKv;
                outs.add(new Out(hf, t, rows, cols, un));
            }
            outs.sort((a, b) -> java.util.Arrays.compareUnsigned(a.hfName.getBytes(StandardCharsets.UTF_8), b.hfName.getBytes(StandardCharsets.UTF_8)));
            Files.createDirectories(dir);
            // ---- shards: consecutive tensors (in the Rust crate's name order) up to maxShard bytes each
            List<List<Out>> shards = new ArrayList<>();
            long cur = 0, total = 0;
            for (Out o : outs) {
                long b = outType.bytes(o.rows * o.cols, o.cols);
                total += b;
                if (shards.isEmpty() || (cur + b > maxShard && !shards.getLast().isEmpty())) {
                    shards.add(new ArrayList<>());
                    cur = 0;
                }
                shards.getLast().add(o);
                cur += b;
            }
            Map<String, String> weightMap = new LinkedHashMap<>();
            Progress progress = log == null ? null : new Progress(log, "export", total, true);
            for (int s = 0; s < shards.size(); s++) {
                String fn = shards.size() == 1 ? "model.safetensors" : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
                writeShard(g, dir.resolve(fn), shards.get(s), dtype, outType, progress);
                for (Out o : shards.get(s)) weightMap.put(o.hfName, fn);
            }
            if (progress != null) progress.close();
            if (shards.size() > 1) {
                ObjectNode idx = HfCheckpoint.JSON.createObjectNode();
                idx.putObject("metadata").put("total_size", total);
                ObjectNode wm = idx.putObject("weight_map");
                weightMap.forEach(wm::put);
                HfCheckpoint.JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.safetensors.index.json").toFile(), idx);
            }
            // ---- config.json
            ObjectNode c = HfCheckpoint.JSON.createObjectNode();
            c.putArray("architectures").add(hfArch);
            c.put("model_type", arch);
            c.put("hidden_act", "silu");
            c.put("hidden_size", nEmbd);
            c.put("intermediate_size", g.getLong(arch + ".feed_forward_length", -1));
            c.put("num_hidden_layers", g.getLong(arch + ".block_count", -1));
            c.put("num_attention_heads", nHead);
            c.put("num_key_value_heads", nHeadKv);
            if (g.get(arch + ".attention.key_length") != null || arch.equals("qwen3")) c.put("head_dim", headDim);
            c.put("max_position_embeddings", g.getLong(arch + ".context_length", 2048));
            c.put("rms_norm_eps", shortest(g.getDouble(arch + ".attention.layer_norm_rms_epsilon", 1e-5)));
            c.put("rope_theta", shortest(g.getDouble(arch + ".rope.freq_base", 10000)));
            c.put("vocab_size", embd.dims()[1]);
            c.put("tie_word_embeddings", g.tensor("output.weight") == null);
            if (arch.equals("qwen2") || g.tensor("blk.0.attn_q.bias") != null) c.put("attention_bias", true);
            else if (arch.equals("llama")) c.put("attention_bias", false);
            c.put("torch_dtype", switch (dtype) { case F32 -> "float32"; case F16 -> "float16"; default -> "bfloat16"; });
            String scaling = g.get(arch + ".rope.scaling.type") == null ? "none" : g.getString(arch + ".rope.scaling.type");
            if (scaling.equals("linear")) {
                c.putObject("rope_scaling").put("rope_type", "linear").put("factor", shortest(g.getDouble(arch + ".rope.scaling.factor", 1)));
            } else if (!scaling.equals("none") && ropeFreqs == null) {
                throw new IOException(gguf + ": " + arch + ".rope.scaling.type '" + scaling + "' is not exported (none, linear, or llama3's rope_freqs)");
            }
            if (ropeFreqs != null) c.set("rope_scaling", llama3Params(ropeFreqs, g.getDouble(arch + ".rope.freq_base", 10000), headDim, gguf));
            Map<String, GgufValue> md = g.metadata();
            long bos = md.containsKey("tokenizer.ggml.bos_token_id") ? md.get("tokenizer.ggml.bos_token_id").asLong() : -1;
            long eos = md.containsKey("tokenizer.ggml.eos_token_id") ? md.get("tokenizer.ggml.eos_token_id").asLong() : -1;
            if (bos >= 0) c.put("bos_token_id", bos);
            if (eos >= 0) c.put("eos_token_id", eos);
            HfCheckpoint.JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
            ObjectNode gen = HfCheckpoint.JSON.createObjectNode();
            if (bos >= 0) gen.put("bos_token_id", bos);
            if (eos >= 0) gen.put("eos_token_id", eos);
            if (md.containsKey("general.sampling.temp")) gen.put("do_sample", true).put("temperature", shortest(g.getDouble("general.sampling.temp", 1)));
            if (md.containsKey("general.sampling.top_p")) gen.put("top_p", shortest(g.getDouble("general.sampling.top_p", 1)));
            if (md.containsKey("general.sampling.top_k")) gen.put("top_k", g.getLong("general.sampling.top_k", 0));
            HfCheckpoint.JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("generation_config.json").toFile(), gen);
            boolean tok = HfTokenizerWriter.write(g, dir, HF_REGEX, warnings);
            return new Result(outs.size(), shards.size(), total, tok, warnings);
        }
    }

    /** A float32 value as the short decimal a person (and config.json) would write: 1e-05, not 9.999999747378752e-06. */
    static double shortest(double v) {
        return Double.parseDouble(Float.toString((float) v));
    }

    /** The llama3 rope_scaling whose factors equal {@code freqs} bit for bit, from the grid of values Llama 3.x checkpoints use. */
    static ObjectNode llama3Params(float[] freqs, double base, int headDim, Path gguf) throws IOException {
        float factor = 0;
        for (float f : freqs) factor = Math.max(factor, f);
        for (int e = 4; e <= 20; e++) {
            for (double low : new double[] {1, 2, 4}) {
                for (double high : new double[] {4, 2, 8, 16}) {
                    if (high <= low) continue;
                    float[] want = HfToGguf.llama3RopeFactors(base, headDim, factor, low, high, 1 << e);
                    if (java.util.Arrays.equals(want, freqs)) {
                        ObjectNode r = HfCheckpoint.JSON.createObjectNode();
                        r.put("factor", shortest(factor)).put("high_freq_factor", high).put("low_freq_factor", low)
                                .put("original_max_position_embeddings", 1 << e).put("rope_type", "llama3");
                        return r;
                    }
                }
            }
        }
        throw new IOException(gguf + ": rope_freqs.weight does not match Llama 3's rope_scaling for any usual parameters;"
                + " transformers could not reproduce these frequencies, so the model is not exported");
    }

    private static void writeShard(GgufFile g, Path file, List<Out> tensors, Safetensors.Dtype dtype, GgmlType outType, Progress progress) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long off = 0;
        for (Out o : tensors) {
            long b = outType.bytes(o.rows * o.cols, o.cols);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", dtype.name());
            e.put("shape", o.src.dims().length > 1 ? new long[] {o.rows, o.cols} : new long[] {o.cols});
            e.put("data_offsets", new long[] {off, off + b});
            header.put(o.hfName, e);
            off += b;
        }
        byte[] json = HfCheckpoint.JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            os.write(json);
            for (int i = json.length; i < padded; i++) os.write(' ');
            for (Out o : tensors) {
                writeTensor(g, o, outType, os);
                if (progress != null) progress.add(outType.bytes(o.rows * o.cols, o.cols));
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeTensor(GgufFile g, Out o, GgmlType outType, OutputStream os) throws IOException {
        MemorySegment src = g.tensorData(o.src);
        GgmlType st = o.src.type();
        int cols = (int) o.cols;
        long srcRow = st.rowBytes(cols);
        if (o.unpermuteHeads > 0 && o.rows == 1) { // a q/k bias: HF element h·hd + t·hd/2 + j ← GGUF element h·hd + 2j + t
            float[] in = new float[cols], out = new float[cols];
            BlockFormats.of(st).dequantize(src, 0, in, 0, cols);
            int hd = cols / o.unpermuteHeads;
            for (int r = 0; r < cols; r++) {
                int k = r % hd;
                out[r] = in[(r / hd) * hd + 2 * (k % (hd / 2)) + k / (hd / 2)];
            }
            byte[] b = new byte[(int) outType.rowBytes(cols)];
            BlockFormats.of(outType).quantize(out, 0, cols, MemorySegment.ofArray(b), 0);
            os.write(b);
            return;
        }
        int block = (int) Math.max(1, Math.min(o.rows, (1 << 20) / Math.max(1, cols)));
        float[] f = new float[block * cols];
        byte[] buf = new byte[(int) (outType.rowBytes(cols) * block)];
        long hd = o.unpermuteHeads == 0 ? 0 : o.rows / o.unpermuteHeads;
        for (long r0 = 0; r0 < o.rows; r0 += block) {
            int n = (int) Math.min(block, o.rows - r0);
            for (int i = 0; i < n; i++) {
                long r = r0 + i, from = r;
                if (hd > 0) { // HF row h·hd + t·hd/2 + j ← GGUF row h·hd + 2j + t
                    long h = r / hd, k = r % hd, t = k / (hd / 2), j = k % (hd / 2);
                    from = h * hd + 2 * j + t;
                }
                BlockFormats.of(st).dequantize(src, from * srcRow, f, i * cols, cols);
            }
            BlockFormats.of(outType).quantize(f, 0, n * cols, MemorySegment.ofArray(buf), 0);
            os.write(buf, 0, (int) (outType.rowBytes(cols) * n));
        }
    }
}
