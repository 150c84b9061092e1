package dev.jllm.model;

import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufWriter;
import dev.jllm.tensor.BlockFormat;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Rewrites a model with quantized weights, choosing each tensor's type as llama.cpp's
 * {@code llama_tensor_get_type} does for the same target:
 * <ul>
 * <li>1-D tensors (norms, biases) stay F32;</li>
 * <li>the output matrix (or the token embedding when it doubles as output) becomes Q6_K unless the
 *     target is Q8_0 or wider (it drives every logit);</li>
 * <li>Q4_K_M / Q5_K_M: attn_v and ffn_down of the first and last eighth of the layers, and every
 *     third layer between, get Q6_K ("use_more_bits"); Q4_K_S: attn_v of the first 4 layers and
 *     ffn_down of the first eighth get Q5_K;</li>
 * <li>IQ4_NL / IQ4_XS: attn_v gets Q5_K when n_head / n_head_kv ≥ 4; without an imatrix the ffn_down
 *     of the first eighth of the layers get Q5_K (llama-quantize only warns that an imatrix helps);</li>
 * <li>a matrix whose rows are not a multiple of the block size falls back: Q4_K → Q5_0, Q5_K →
 *     Q5_1, Q6_K → Q8_0, IQ4_XS → IQ4_NL where jllm has that type, else to Q8_0 if the row fits
 *     32-blocks, else F16.</li>
 * </ul>
 * {@code pure} skips the mixes: every matrix gets the target type (llama-quantize --pure).
 *
 * <p>With an importance matrix ({@link Options#imatrix}) every matrix it has an entry for is quantized
 * by its type's weighted quantizer (llama.cpp's quantize_*_impl with quant_weights), and, as in
 * llama.cpp, Q4_0 / Q5_0 give the ffn_down of the first eighth of the layers Q4_1 / Q5_1. Matrices
 * can also arrive already quantized ({@link Options#precomputed}: GPTQ).
 */
public final class Quantizer {
    private Quantizer() {}

    /** The K-quant mixes llama.cpp names _S and _M ("Q4_K" alone means Q4_K_M there, too). */
    public enum Mix { NONE, SMALL, MEDIUM }

    /** A target as named on the command line: a type plus a mix. */
    public record Target(GgmlType type, Mix mix, String name) {
        public boolean mediumMix() { return mix == Mix.MEDIUM; }

        public static Target parse(String s) {
            String u = s.toUpperCase(Locale.ROOT);
            return switch (u) {
                case "Q4_K_M", "Q4_K" -> new Target(GgmlType.Q4_K, Mix.MEDIUM, "Q4_K_M");
                case "Q5_K_M", "Q5_K" -> new Target(GgmlType.Q5_K, Mix.MEDIUM, "Q5_K_M");
                case "Q4_K_S" -> new Target(GgmlType.Q4_K, Mix.SMALL, u);
                case "Q5_K_S" -> new Target(GgmlType.Q5_K, Mix.SMALL, u);
                case "Q6_K", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "IQ4_XS", "F16", "BF16", "F32" -> new Target(GgmlType.valueOf(u), Mix.NONE, u);
                default -> throw new IllegalArgumentException("unknown quantization type '" + s
                        + "'; supported: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K_S, Q4_K_M (= Q4_K), Q5_K_S, Q5_K_M (= Q5_K), Q6_K, IQ4_NL, IQ4_XS, F16, BF16, F32");
            };
        }
    }

    /**
     * How to quantize besides the target: {@code imatrix} (or null) supplies importance weights;
     * {@code precomputed} maps tensor names to their finished bytes in the planned type (GPTQ), written as they are.
     */
    public record Options(Imatrix imatrix, String imatrixFile, Map<String, MemorySegment> precomputed) {
        public static final Options NONE = new Options(null, null, Map.of());

        public Options {
            precomputed = precomputed == null ? Map.of() : precomputed;
        }
    }

    /** What happened to one tensor. */
    public record Choice(String name, GgmlType from, GgmlType to, long bytesIn, long bytesOut) {}

    /** The type each tensor will get (exposed for tests and the summary). */
    public static List<Choice> plan(ModelFile in, Target target, boolean pure) {
        return plan(in, target, pure, false);
    }

    /** The plan when an importance matrix will be used ({@code imatrix}: llama.cpp's has_imatrix rules). */
    public static List<Choice> plan(ModelFile in, Target target, boolean pure, boolean imatrix) {
        List<Choice> out = new ArrayList<>();
        int nLayers = in.config().nLayers();
        int gqa = in.config().nHeads() / Math.max(1, in.config().nKvHeads());
        boolean hasOutput = in.tensor("output.weight") != null;
        for (GgufTensorInfo t : in.tensors()) {
            GgmlType to = chooseType(t, target, pure, nLayers, gqa, hasOutput, imatrix);
            long elements = t.elementCount();
            out.add(new Choice(t.name(), t.type(), to, t.byteSize(), to.bytes(elements, t.dims()[0])));
        }
        return out;
    }

    static GgmlType chooseType(GgufTensorInfo t, Target target, boolean pure, int nLayers, int gqa, boolean hasOutput, boolean imatrix) {
        String name = t.name();
        if (t.dims().length == 1) return GgmlType.F32;
        GgmlType type = target.type();
        if (pure || !type.isQuantized()) return fallback(type, t.dims()[0]);
        long rowLength = t.dims()[0];
        boolean isOutput = name.equals("output.weight") || (!hasOutput && name.equals("token_embd.weight"));
        if (isOutput) {
            // llama.cpp: the output matrix drives every logit: Q6_K unless the target is Q8_0; Q8_0 if rows don't fit
            if (rowLength % type.blockSize != 0) return GgmlType.Q8_0;
            return fallback(type == GgmlType.Q8_0 ? type : GgmlType.Q6_K, rowLength);
        }
        int layer = name.startsWith("blk.") ? Integer.parseInt(name.substring(4, name.indexOf('.', 4))) : -1;
        boolean iq4 = type == GgmlType.IQ4_NL || type == GgmlType.IQ4_XS;
        if (name.endsWith("attn_v.weight")) {
            // llama.cpp: IQ4 gives attn_v Q5_K when 4 or more query heads share each KV head
            if (iq4 && gqa >= 4) type = GgmlType.Q5_K;
            else if (target.mix() == Mix.MEDIUM && useMoreBits(layer, nLayers)) type = GgmlType.Q6_K;
            else if (target.mix() == Mix.SMALL && type == GgmlType.Q4_K && layer < 4) type = GgmlType.Q5_K;
        } else if (name.endsWith("ffn_down.weight")) {
            if (target.mix() == Mix.MEDIUM && useMoreBits(layer, nLayers)) type = GgmlType.Q6_K;
            // llama.cpp: without an imatrix, IQ4 gives the first eighth of the ffn_down Q5_K
            else if (iq4 && !imatrix && layer < nLayers / 8) type = GgmlType.Q5_K;
            else if (target.mix() == Mix.SMALL && type == GgmlType.Q4_K && layer < nLayers / 8) type = GgmlType.Q5_K;
            // llama.cpp: "guard against craziness in the first few ffn_down layers", only with an imatrix
            else if (imatrix && target.mix() == Mix.NONE && (type == GgmlType.Q4_0 || type == GgmlType.Q5_0) && layer < nLayers / 8) {
                type = type == GgmlType.Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
            }
        }
        return fallback(type, rowLength);
    }

    /** llama.cpp: the first and last eighth of the layers, and every third layer in between. */
    static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    static GgmlType fallback(GgmlType type, long rowLength) {
        if (rowLength % type.blockSize == 0) return type;
        GgmlType next = switch (type) {
            case Q4_K -> BlockFormats.supported(GgmlType.Q5_0) ? GgmlType.Q5_0 : GgmlType.Q8_0;
            case Q5_K -> BlockFormats.supported(GgmlType.Q5_1) ? GgmlType.Q5_1 : GgmlType.Q8_0;
            case Q6_K -> GgmlType.Q8_0;
            case IQ4_XS -> GgmlType.IQ4_NL;
            default -> GgmlType.F16;
        };
        return rowLength % next.blockSize == 0 ? next : GgmlType.F16;
    }

    /** Writes {@code out}; returns the per-tensor choices. */
    public static List<Choice> quantize(ModelFile in, Target target, boolean pure, Path out, LongConsumer progress) throws IOException {
        return quantize(in, target, pure, out, progress, Options.NONE);
    }

    /**
     * Writes {@code out} with an importance matrix and/or precomputed tensors; returns the per-tensor
     * choices. As llama-quantize: a matrix without an imatrix entry is quantized without weights; an
     * entry whose size differs from the matrix's row is an error (except for token_embd).
     */
    public static List<Choice> quantize(ModelFile in, Target target, boolean pure, Path out, LongConsumer progress, Options opts) throws IOException {
        Imatrix im = opts.imatrix();
        List<Choice> plan = plan(in, target, pure, im != null);
        GgufWriter w = new GgufWriter();
        for (Map.Entry<String, GgufValue> e : in.metadata().entrySet()) {
            if (!e.getKey().equals("general.alignment")) w.put(e.getKey(), e.getValue());
        }
        if (in.gguf() == null) ModelWriter.putHyperparameters(w, in.config(), in.path().getFileName().toString());
        w.put("general.file_type", GgufValue.ofUInt32(target.mediumMix()
                ? (target.type() == GgmlType.Q4_K ? 15 : 17)
                : target.mix() == Mix.SMALL ? (target.type() == GgmlType.Q4_K ? 14 : 16) : RandomModel.fileType(target.type())));
        w.put("general.quantization_version", GgufValue.ofUInt32(2));
        if (im != null) { // the keys llama-quantize adds (as its kv overrides: strings and int32)
            w.put("quantize.imatrix.file", GgufValue.ofString(opts.imatrixFile() == null ? "imatrix.gguf" : opts.imatrixFile()));
            if (!im.datasets().isEmpty()) w.put("quantize.imatrix.dataset", GgufValue.ofString(im.datasets().get(0)));
            w.put("quantize.imatrix.entries_count", GgufValue.ofInt32(im.entries().size()));
            if (im.chunkCount() > 0) w.put("quantize.imatrix.chunks_count", GgufValue.ofInt32(im.chunkCount()));
        }
        for (int i = 0; i < plan.size(); i++) {
            GgufTensorInfo t = in.tensors().get(i);
            Choice c = plan.get(i);
            int cols = (int) t.dims()[0];
            long rows = t.elementCount() / cols;
            BlockFormat src = BlockFormats.of(t.type());
            MemorySegment data = in.tensorData(t);
            long srcRow = t.type().rowBytes(cols);
            MemorySegment done = opts.precomputed().get(t.name());
            if (done != null) {
                if (done.byteSize() != c.bytesOut()) {
                    throw new IllegalArgumentException(t.name() + ": precomputed " + done.byteSize() + " bytes, " + c.to() + " needs " + c.bytesOut());
                }
                w.addTensor(t.name(), c.to(), t.dims(), done);
                if (progress != null) progress.accept(c.bytesOut());
                continue;
            }
            float[] qw = null;
            if (im != null && c.to().isQuantized() && t.dims().length >= 2) {
                qw = im.weights(t.name());
                if (qw != null && qw.length != cols) {
                    if (!t.name().equals("token_embd.weight")) {
                        throw new IllegalArgumentException("imatrix size " + qw.length + " is different from tensor size " + cols + " for " + t.name());
                    }
                    qw = null;
                }
            }
            w.addTensor(t.name(), c.to(), t.dims(), ModelWriter.encode(c.to(), rows, cols,
                    (r, dst) -> src.dequantize(data, r * srcRow, dst, 0, cols), qw, progress));
        }
        w.write(out);
        return plan;
    }
}
