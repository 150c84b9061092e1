package dev.jllm.train;

import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufWriter;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.ModelFile;
import dev.jllm.model.ModelWriter;
import dev.jllm.tensor.BlockFormats;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Training weights in and out of GGUF: a model from {@code jllm init} or any F32/F16/BF16 llama GGUF
 * becomes fp32 {@link Params}; trained params become an F32 GGUF with the same tensor names and the
 * source's metadata (vocabulary, tokenizer, chat template), so the engine and {@code jllm serve}
 * load it without conversion.
 */
public final class ModelIO {
    private ModelIO() {}

    private static final Set<GgmlType> TRAINABLE = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);

    /** A loaded model: its fp32 weights and the metadata to write back. */
    /**
     * @param params    fp32 weights; with a {@code quantized} base only the norm gains are filled
     *                  (the matrices are read from the base while training)
     * @param quantized the frozen base kept in its GGUF type (QLoRA), or null
     */
    public record Loaded(Params params, Map<String, GgufValue> metadata, QuantizedBase quantized) {
        public Loaded(Params params, Map<String, GgufValue> metadata) {
            this(params, metadata, null);
        }
    }

    /**
     * A base for LoRA kept in its GGUF type ({@link QuantizedBase}): only the norm gains are read
     * into fp32; every matrix stays in the mapped file. The same checks as {@link #load}.
     */
    public static Loaded openFrozen(Path path) throws IOException {
        Loaded shape;
        try (ModelFile f = ModelFile.open(path)) {
            ModelConfig c = f.config();
            if (!c.architecture().equals("llama")) {
                throw new IllegalArgumentException(path + ": architecture '" + c.architecture() + "'; jllm fine-tunes llama models");
            }
            ModelConfig.Rope rope = c.rope();
            if (rope.dimensionCount() != c.headDim() || !rope.scalingType().equals("none") || f.tensor("rope_freqs.weight") != null) {
                throw new IllegalArgumentException(path + ": partial or scaled RoPE is not supported for training");
            }
            Params p = new Params(c, false);
            for (Params.Tensor t : p.tensors()) {
                if (t.dims().length != 1) continue;
                GgufTensorInfo info = f.tensor(t.name());
                if (info == null) throw new GgufFormatException(path + ": tensor '" + t.name() + "' is missing", -1);
                if (info.elementCount() != t.size()) {
                    throw new GgufFormatException(path + ": tensor '" + t.name() + "' has " + info.elementCount() + " elements, expected " + t.size(), -1);
                }
                BlockFormats.of(info.type()).dequantize(f.tensorData(info), 0, t.data(), 0, t.size());
            }
            for (Params.Tensor t : p.tensors()) {
                GgufTensorInfo info = f.tensor(t.name());
                if (info == null) throw new GgufFormatException(path + ": tensor '" + t.name() + "' is missing", -1);
            }
            shape = new Loaded(p, new LinkedHashMap<>(f.metadata()));
        }
        return new Loaded(shape.params(), shape.metadata(), QuantizedBase.open(path));
    }

    public static Loaded load(Path path) throws IOException {
        return load(path, false);
    }

    /**
     * @param frozenBase the weights will stay frozen (LoRA): quantized types are accepted and
     *                   dequantized to fp32 (the adapter learns against exactly these values)
     */
    public static Loaded load(Path path, boolean frozenBase) throws IOException {
        try (ModelFile f = ModelFile.open(path)) {
            ModelConfig c = f.config();
            if (!c.architecture().equals("llama")) {
                throw new IllegalArgumentException(path + ": architecture '" + c.architecture() + "'; jllm train supports llama models");
            }
            ModelConfig.Rope rope = c.rope();
            if (rope.dimensionCount() != c.headDim() || !rope.scalingType().equals("none") || f.tensor("rope_freqs.weight") != null) {
                throw new IllegalArgumentException(path + ": partial or scaled RoPE (rope.dimension_count " + rope.dimensionCount()
                        + ", scaling " + rope.scalingType() + ") is not supported for training");
            }
            for (GgufTensorInfo t : f.tensors()) {
                if (!frozenBase && !TRAINABLE.contains(t.type())) {
                    throw new IllegalArgumentException(path + ": tensor '" + t.name() + "' is " + t.type() + "; full training needs F32, F16 or BF16 weights."
                            + " For a quantized model use LoRA fine-tuning (adapters over the frozen quantized weights), or train from the"
                            + " original F16/BF16 model");
                }
            }
            Params p = new Params(c);
            for (Params.Tensor t : p.tensors()) {
                GgufTensorInfo info = f.tensor(t.name());
                if (info == null) throw new GgufFormatException(path + ": tensor '" + t.name() + "' is missing", -1);
                if (info.elementCount() != t.size()) {
                    throw new GgufFormatException(path + ": tensor '" + t.name() + "' has " + info.elementCount() + " elements, expected " + t.size(), -1);
                }
                if (!BlockFormats.supported(info.type())) {
                    throw new GgufFormatException(path + ": tensor '" + t.name() + "' has type " + info.type() + ", which jllm cannot read yet", -1);
                }
                BlockFormats.of(info.type()).dequantize(f.tensorData(info), 0, t.data(), 0, t.size());
            }
            Map<String, GgufValue> meta = new LinkedHashMap<>(f.metadata());
            return new Loaded(p, meta);
        }
    }

    /**
     * Writes {@code p} as an F32 GGUF: the source metadata, hyperparameters rewritten from the config,
     * tensors in {@code LlamaLayout} order. Written to a temporary file and renamed, so a crash never
     * leaves half a model under the final name.
     */
    public static void export(Params p, Map<String, GgufValue> metadata, String name, Path out) throws IOException {
        export(p, metadata, name, out, java.util.List.of());
    }

    /** As {@link #export(Params, Map, String, Path)} with {@code extra} F32 tensors after the model's (e.g. a reward model's head). */
    public static void export(Params p, Map<String, GgufValue> metadata, String name, Path out, java.util.List<Params.Tensor> extra) throws IOException {
        GgufWriter w = new GgufWriter();
        Map<String, GgufValue> meta = new LinkedHashMap<>(metadata);
        meta.remove("general.alignment"); // the writer decides its own alignment
        w.putAll(meta);
        ModelWriter.putHyperparameters(w, p.config, name);
        w.put("general.file_type", GgufValue.ofUInt32(0)); // ALL_F32
        for (Params.Tensor t : java.util.stream.Stream.concat(p.tensors().stream(), extra.stream()).toList()) {
            int cols = (int) t.dims()[0];
            long rows = t.dims().length == 1 ? 1 : t.dims()[1];
            float[] d = t.data();
            w.addTensor(t.name(), GgmlType.F32, t.dims(), ModelWriter.encode(GgmlType.F32, rows, cols,
                    (r, dst) -> System.arraycopy(d, (int) (r * cols), dst, 0, cols), null));
        }
        Path abs = out.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        w.write(tmp);
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
