package dev.jllm.model;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufValue;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LoRA adapter as Hugging Face PEFT saves one for a {@code LlamaForCausalLM} (or Qwen2/Qwen3, which
 * name their modules alike) — {@code adapter_config.json} + {@code adapter_model.safetensors} — converted
 * from and to jllm's GGUF adapters ({@link LoraAdapter}, llama.cpp's layout).
 *
 * <p>Sources this follows (huggingface/peft v0.20.0, ggml-org/llama.cpp master):
 * <ul>
 * <li>Tensor names: PEFT's {@code get_peft_model_state_dict} (src/peft/utils/save_and_load.py) keeps the
 *   module path under {@code PeftModel} and drops the adapter name:
 *   {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} (r, in_features) and
 *   {@code ...lora_B.weight} (out_features, r); q,k,v,o under {@code self_attn}, gate,up,down under
 *   {@code mlp}. Saved with {@code safe_save_file(..., metadata={"format": "pt"})} (peft_model.py
 *   {@code save_pretrained}).</li>
 * <li>adapter_config.json: {@code PeftConfigMixin.save_pretrained} (src/peft/config.py) writes
 *   {@code json.dumps(asdict(config), indent=2, sort_keys=True)}; {@code LoraConfig.to_dict} drops
 *   {@code runtime_config}; {@code PeftModel.save_pretrained} sets {@code inference_mode = true} and,
 *   with a task_type, {@code auto_mapping = null}. {@link #configJson} writes every field of PEFT
 *   0.20.0's {@code LoraConfig} (src/peft/tuners/lora/config.py) with its default unless jllm knows
 *   better. Scale: {@code lora_alpha / r}, or {@code lora_alpha / sqrt(r)} with {@code use_rslora}.</li>
 * <li>The q/k row order: llama.cpp's {@code convert_hf_to_gguf.py} ({@code LlamaModel.modify_tensors})
 *   permutes the rows of q_proj (n_head) and k_proj (n_head_kv) from HF's half-split RoPE layout to
 *   GGUF's adjacent pairs with {@code LlamaModel.permute}: {@code W.reshape(n_head, 2, rows/n_head/2,
 *   cols).swapaxes(1, 2).reshape(W.shape)}; {@code convert_lora_to_gguf.py}'s {@code LoraTorchTensor}
 *   applies that reshape/swapaxes to lora_B only (A's rows are the rank). So GGUF → PEFT un-permutes
 *   B's rows of q and k; PEFT → GGUF permutes them. Qwen2/Qwen3 are converted without permutation
 *   (NeoX RoPE, {@link Architecture#neoxRope}).</li>
 * <li>Scale in GGUF: llama.cpp applies {@code adapter.lora.alpha / r}. An rsLoRA adapter therefore
 *   carries alpha = scale·r ({@code LoraParams.toAdapter}); export writes {@code lora_alpha} = that
 *   alpha with {@code use_rslora: false} (same scale) unless the adapter says {@value #RS_LORA_KEY} =
 *   true. Import of a {@code use_rslora} adapter writes alpha = lora_alpha·√r and that key (where
 *   {@code convert_lora_to_gguf.py} copies lora_alpha as is and so runs an rsLoRA adapter at the
 *   wrong scale).</li>
 * </ul>
 */
public final class PeftLora {
    private PeftLora() {}

    /** The PEFT release whose adapter_config.json fields {@link #configJson} writes (written as peft_version). */
    public static final String PEFT_VERSION = "0.20.0";
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** GGUF adapter hint (bool): the adapter was trained with rsLoRA (scale α/√r); adapter.lora.alpha is still scale·r. */
    public static final String RS_LORA_KEY = "jllm.lora.rs_lora";
    /** GGUF adapter hint (f32): the LoRA dropout it was trained with (PEFT's lora_dropout; inference ignores it). */
    public static final String DROPOUT_KEY = "jllm.lora.dropout";
    /** GGUF adapter hint (string): PEFT's base_model_name_or_path, kept by import so that export writes it back. */
    public static final String BASE_MODEL_KEY = "jllm.peft.base_model_name_or_path";

    private static final Pattern GGUF_NAME = Pattern.compile("blk\\.(\\d+)\\.([a-z_]+)\\.weight");
    private static final Pattern PEFT_NAME = Pattern.compile("base_model\\.model\\.model\\.layers\\.(\\d+)\\.([a-z_]+)\\.([a-z_0-9]+)\\.lora_([AB])\\.weight");
    private static final String KNOWN_GGUF = "attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down";
    private static final String KNOWN_PEFT = "self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj";

    // ---------------------------------------------------------------- the q/k permutation

    /** True when llama.cpp's converter permutes q/k rows for this architecture (llama; not qwen2/qwen3). */
    public static boolean permutesQk(String architecture) {
        return Architecture.of(architecture) == Architecture.LLAMA;
    }

    /**
     * llama.cpp's {@code LlamaModel.permute} on the rows of a row-major (rows, cols) matrix: HF's head
     * layout [first halves | second halves] → GGUF's interleaved pairs. Row {@code h·d + 2j + p} of the
     * result is row {@code h·d + p·d/2 + j} of {@code w}, d = rows / nHead.
     */
    public static float[] permuteRows(float[] w, int rows, int cols, int nHead) {
        return permute(w, rows, cols, nHead, true);
    }

    /** The inverse of {@link #permuteRows}: GGUF's row order → HF's. */
    public static float[] unpermuteRows(float[] w, int rows, int cols, int nHead) {
        return permute(w, rows, cols, nHead, false);
    }

    private static float[] permute(float[] w, int rows, int cols, int nHead, boolean toGguf) {
        if (w.length != (long) rows * cols) throw new IllegalArgumentException("matrix has " + w.length + " values, not " + rows + "×" + cols);
        if (nHead <= 0 || rows % nHead != 0 || (rows / nHead) % 2 != 0) {
            throw new IllegalArgumentException(rows + " rows do not split into " + nHead + " heads of an even size");
        }
        int d = rows / nHead, half = d / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < nHead; h++) {
            for (int j = 0; j < half; j++) {
                for (int p = 0; p < 2; p++) {
                    int gguf = h * d + 2 * j + p, hf = h * d + p * half + j;
                    int dst = toGguf ? gguf : hf, src = toGguf ? hf : gguf;
                    System.arraycopy(w, src * cols, out, dst * cols, cols);
                }
            }
        }
        return out;
    }

    /** Heads whose rows {@code m}'s B is permuted over in this model, or 0 for none. */
    static int permutedHeads(LoraTarget m, ModelConfig c) {
        if (!permutesQk(c.architecture())) return 0;
        return switch (m) {
            case Q -> c.nHeads();
            case K -> c.nKvHeads();
            default -> 0;
        };
    }

    // ---------------------------------------------------------------- export (GGUF → PEFT)

    /**
     * What the GGUF does not say and adapter_config.json needs.
     *
     * @param baseModel  base_model_name_or_path (a Hub id or a path), see {@link #baseModelName}
     * @param rsLora     write use_rslora true with lora_alpha = alpha/√r (the adapter's {@value #RS_LORA_KEY})
     * @param dropout    lora_dropout (the adapter's {@value #DROPOUT_KEY}, else 0)
     * @param dtype      F32 (default), BF16 or F16 tensors
     */
    public record ExportOptions(String baseModel, boolean rsLora, float dropout, Safetensors.Dtype dtype) {}

    /** What was written. */
    public record Exported(int rank, Number loraAlpha, boolean useRslora, float scale, List<String> targetModules, int tensors, Path config, Path weights) {}

    /** The jllm hints of a GGUF adapter ({@value #RS_LORA_KEY}, {@value #DROPOUT_KEY}, {@value #BASE_MODEL_KEY}) as options, with {@code dtype}. */
    public static ExportOptions options(GgufFile adapter, String baseModel, Safetensors.Dtype dtype) throws GgufFormatException {
        GgufValue rs = adapter.get(RS_LORA_KEY);
        boolean rsLora = false;
        if (rs != null) {
            if (!(rs.value() instanceof Boolean b)) throw new GgufFormatException(adapter.path() + ": metadata key '" + RS_LORA_KEY + "' should be a bool but is " + rs.type(), -1);
            rsLora = b;
        }
        float dropout = (float) adapter.getDouble(DROPOUT_KEY, 0);
        String hinted = adapter.getString(BASE_MODEL_KEY);
        return new ExportOptions(baseModel != null ? baseModel : hinted, rsLora, dropout, dtype);
    }

    /**
     * base_model_name_or_path for a GGUF base: the Hugging Face id of {@code general.source.repo_url} or
     * {@code general.repo_url} (https://huggingface.co/ORG/NAME → ORG/NAME), else {@code general.name},
     * else the file name without .gguf.
     */
    public static String baseModelName(GgufFile base) throws GgufFormatException {
        for (String k : List.of("general.source.repo_url", "general.repo_url")) {
            String url = base.getString(k);
            if (url == null) continue;
            Matcher m = Pattern.compile("https?://(?:www\\.)?huggingface\\.co/([^/\\s]+/[^/\\s?#]+)/?").matcher(url.strip());
            if (m.matches()) return m.group(1);
        }
        String name = base.getString("general.name");
        if (name != null && !name.isBlank()) return name.strip();
        return base.path().getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
    }

    /**
     * Writes {@code a} (a GGUF adapter for a model of config {@code base}) as PEFT's two files in {@code dir}
     * (created if needed; existing files replaced, each atomically). Errors name the adapter tensor.
     */
    public static Exported export(LoraAdapter a, String adapterName, ModelConfig base, ExportOptions o, Path dir) throws IOException {
        if (!a.architecture.equals(base.architecture())) {
            throw new IllegalArgumentException(adapterName + " is for architecture '" + a.architecture + "', the base model is '" + base.architecture() + "'");
        }
        permutesQk(base.architecture()); // refuses architectures jllm does not know
        int r = a.rank();
        Map<Integer, TreeSet<LoraTarget>> byLayer = new TreeMap<>();
        List<Safetensors.Tensor> tensors = new ArrayList<>();
        Safetensors.Dtype dt = o.dtype() == null ? Safetensors.Dtype.F32 : o.dtype();
        for (LoraAdapter.Pair p : a.pairs.values()) {
            Matcher m = GGUF_NAME.matcher(p.weight());
            LoraTarget mod = m.matches() ? LoraTarget.ofGguf(m.group(2)) : null;
            if (mod == null) {
                throw new IllegalArgumentException(adapterName + ": tensor '" + p.weight() + ".lora_a' adapts '" + p.weight()
                        + "', an unknown target module for PEFT's Llama layout (known: blk.N.{" + KNOWN_GGUF + "}.weight)");
            }
            int layer = Integer.parseInt(m.group(1));
            if (layer >= base.nLayers()) throw new IllegalArgumentException(adapterName + ": tensor '" + p.weight() + ".lora_a' is for block " + layer + ", the base model has " + base.nLayers());
            int[] io = mod.inOut(base);
            if (p.in() != io[0] || p.out() != io[1]) {
                throw new IllegalArgumentException(adapterName + ": " + p.weight() + " is adapted as a (" + p.out() + ", " + p.in() + ") matrix, the base model's is (" + io[1] + ", " + io[0] + ")");
            }
            if (p.rank() != r) throw new IllegalArgumentException(adapterName + ": mixed ranks are not supported (" + p.weight() + ")");
            if (!byLayer.computeIfAbsent(layer, k -> new TreeSet<>()).add(mod)) throw new IllegalArgumentException(adapterName + ": " + p.weight() + " is adapted twice");
            int heads = permutedHeads(mod, base);
            float[] b = heads > 0 ? unpermuteRows(p.b(), p.out(), r, heads) : p.b();
            String key = "base_model.model." + mod.hfModule(layer);
            tensors.add(new Safetensors.Tensor(key + ".lora_A.weight", dt, new long[] {r, p.in()}, p.a()));
            tensors.add(new Safetensors.Tensor(key + ".lora_B.weight", dt, new long[] {p.out(), r}, b));
        }
        float scale = a.scale();
        double s = a.alpha == 0 ? 1 : a.alpha / (double) r; // llama.cpp: alpha 0 means scale 1
        boolean rs = o.rsLora();
        // rsLoRA: s = α/√r, so α = s·√r (an integer α comes back as one up to float rounding); else α = s·r, the GGUF's alpha itself
        Number alpha = rs ? number(s * Math.sqrt(r), 1e-5) : a.alpha == 0 ? (Number) (long) r : number(a.alpha, 0);
        List<String> targets = targetModules(byLayer);
        List<Integer> layers = layersToTransform(byLayer, base.nLayers());
        String json = configJson(r, alpha, rs, o.dropout(), targets, layers, o.baseModel());
        Files.createDirectories(dir);
        Path weights = dir.resolve(WEIGHTS_FILE), config = dir.resolve(CONFIG_FILE);
        Safetensors.write(weights, Map.of("format", "pt"), tensors);
        Path tmp = dir.resolve(CONFIG_FILE + ".tmp");
        Files.writeString(tmp, json, StandardCharsets.UTF_8);
        Files.move(tmp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Exported(r, alpha, rs, scale, targets, tensors.size(), config, weights);
    }

    /** An integral value (within {@code tolerance}, relative) as a Long — PEFT's lora_alpha is an int — else the float. */
    static Number number(double v, double tolerance) {
        double rounded = Math.rint(v);
        if (Math.abs(v - rounded) <= tolerance * Math.max(1, Math.abs(v)) && Math.abs(rounded) < 1e15) return (long) rounded;
        return (float) v;
    }

    /**
     * target_modules: the short names (q_proj, ...) when every adapted layer has the same set — PEFT
     * matches them as name suffixes; otherwise the full module paths, which PEFT matches exactly
     * ({@code check_target_module_exists}: {@code key in config.target_modules}).
     */
    static List<String> targetModules(Map<Integer, TreeSet<LoraTarget>> byLayer) {
        TreeSet<LoraTarget> first = byLayer.values().iterator().next();
        boolean uniform = byLayer.values().stream().allMatch(first::equals);
        TreeSet<String> names = new TreeSet<>();
        for (var e : byLayer.entrySet()) {
            for (LoraTarget m : e.getValue()) names.add(uniform ? m.peft : m.hfModule(e.getKey()));
        }
        return new ArrayList<>(names);
    }

    /** layers_to_transform: null when all layers are adapted alike, the layer list when a uniform subset is. */
    static List<Integer> layersToTransform(Map<Integer, TreeSet<LoraTarget>> byLayer, int nLayers) {
        TreeSet<LoraTarget> first = byLayer.values().iterator().next();
        boolean uniform = byLayer.values().stream().allMatch(first::equals);
        if (!uniform || byLayer.size() == nLayers) return null;
        return new ArrayList<>(byLayer.keySet());
    }

    /** adapter_config.json's text, exactly as PEFT 0.20.0's {@code save_pretrained} writes it for a LlamaForCausalLM LoRA. */
    static String configJson(int r, Number loraAlpha, boolean useRslora, float dropout, List<String> targetModules, List<Integer> layersToTransform, String baseModel) {
        Map<String, Object> c = new LinkedHashMap<>();
        // PeftConfigMixin, PeftConfig
        c.put("task_type", "CAUSAL_LM");
        c.put("peft_type", "LORA");
        c.put("auto_mapping", null); // set only when task_type is None
        c.put("peft_version", PEFT_VERSION);
        c.put("base_model_name_or_path", baseModel);
        c.put("revision", null);
        c.put("inference_mode", true); // PeftModel.save_pretrained saves with inference_mode = True
        // LoraConfig (runtime_config is dropped by to_dict)
        c.put("r", r);
        c.put("target_modules", targetModules);
        c.put("exclude_modules", null);
        c.put("lora_alpha", loraAlpha);
        c.put("lora_dropout", dropout);
        c.put("fan_in_fan_out", false);
        c.put("bias", "none");
        c.put("use_rslora", useRslora);
        c.put("modules_to_save", null);
        c.put("init_lora_weights", true);
        c.put("layers_to_transform", layersToTransform);
        c.put("layers_pattern", null);
        c.put("rank_pattern", Map.of());
        c.put("alpha_pattern", Map.of());
        c.put("megatron_config", null);
        c.put("megatron_core", "megatron.core");
        c.put("trainable_token_indices", null);
        c.put("loftq_config", Map.of());
        c.put("eva_config", null);
        c.put("corda_config", null);
        c.put("lora_ga_config", null);
        c.put("use_dora", false);
        c.put("velora_config", null);
        c.put("alora_invocation_tokens", null);
        c.put("use_qalora", false);
        c.put("qalora_group_size", 16);
        c.put("monteclora_config", null);
        c.put("layer_replication", null);
        c.put("lora_bias", false);
        c.put("target_parameters", null);
        c.put("use_bdlora", null);
        c.put("arrow_config", null);
        c.put("ensure_weight_tying", false);
        return JsonText.pythonDumps(c);
    }

    // ---------------------------------------------------------------- import (PEFT → GGUF)

    /**
     * A PEFT adapter read as a GGUF adapter for a model of config {@code base}: {@code metadata} is what
     * {@link LoraAdapter#write} should add (general.name and the jllm hints).
     */
    public record Imported(LoraAdapter adapter, Map<String, GgufValue> metadata, Number loraAlpha, boolean useRslora, String baseModel, List<String> notes) {}

    /**
     * Reads {@code dir}/adapter_config.json and {@code dir}/adapter_model.safetensors. Errors name the file
     * and the key or tensor: a missing file, a config that is not a plain LoRA (peft_type, DoRA, biases,
     * modules_to_save, rank/alpha patterns, ...), an unknown target module, a wrong shape, half a pair.
     */
    public static Imported read(Path dir, ModelConfig base) throws IOException {
        permutesQk(base.architecture());
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": not a directory (a PEFT adapter is a directory with " + CONFIG_FILE + " and " + WEIGHTS_FILE + ")");
        Path cf = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(cf)) throw new IOException(cf + ": missing (is " + dir + " a PEFT adapter directory?)");
        Object root;
        try {
            root = JsonText.parse(Files.readString(cf, StandardCharsets.UTF_8), cf.toString());
        } catch (JsonText.SyntaxException e) {
            throw new IOException(e.getMessage());
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IOException(cf + ": not UTF-8 text");
        }
        if (!(root instanceof Map<?, ?> cfg)) throw new IOException(cf + ": not a JSON object");
        List<String> notes = new ArrayList<>();
        Object pt = cfg.get("peft_type");
        if (!"LORA".equals(pt)) {
            throw new IOException(cf + ": not a LoRA adapter: peft_type is " + (pt == null ? "missing" : "'" + pt + "'") + ", only LORA can be converted");
        }
        int r = intField(cf, cfg, "r", 8);
        if (r < 1) throw new IOException(cf + ": key 'r' must be >= 1, got " + r);
        BigDecimal alphaDec = numField(cf, cfg, "lora_alpha", BigDecimal.valueOf(8));
        boolean rs = boolField(cf, cfg, "use_rslora", false);
        float dropout = numField(cf, cfg, "lora_dropout", BigDecimal.ZERO).floatValue();
        refuse(cf, cfg, "use_dora", v -> Boolean.TRUE.equals(v), "DoRA adds a magnitude vector that a GGUF LoRA adapter cannot hold");
        refuse(cf, cfg, "bias", v -> v != null && !"none".equals(v), "trained biases are not part of a GGUF LoRA adapter (bias must be \"none\")");
        refuse(cf, cfg, "lora_bias", v -> Boolean.TRUE.equals(v), "a lora_B bias is not part of a GGUF LoRA adapter");
        refuse(cf, cfg, "modules_to_save", PeftLora::nonEmpty, "fully trained modules are not part of a GGUF LoRA adapter");
        refuse(cf, cfg, "rank_pattern", PeftLora::nonEmpty, "per-module ranks are not supported (one rank per adapter)");
        refuse(cf, cfg, "alpha_pattern", PeftLora::nonEmpty, "per-module alphas are not supported (one adapter.lora.alpha per GGUF)");
        refuse(cf, cfg, "alora_invocation_tokens", PeftLora::nonEmpty, "an activated LoRA (aLoRA) is not a plain LoRA");
        refuse(cf, cfg, "trainable_token_indices", PeftLora::nonEmpty, "trainable tokens are not part of a GGUF LoRA adapter");
        refuse(cf, cfg, "layer_replication", PeftLora::nonEmpty, "layer replication changes the base model");
        refuse(cf, cfg, "target_parameters", PeftLora::nonEmpty, "LoRA on parameters (not modules) is not supported");
        refuse(cf, cfg, "use_qalora", v -> Boolean.TRUE.equals(v), "QALoRA pools the input and is not a plain LoRA");
        refuse(cf, cfg, "use_bdlora", PeftLora::nonEmpty, "block-diagonal LoRA is not supported");
        refuse(cf, cfg, "arrow_config", PeftLora::nonEmpty, "Arrow routing is not supported");
        refuse(cf, cfg, "monteclora_config", PeftLora::nonEmpty, "MonteCLoRA is not supported");
        if (Boolean.TRUE.equals(cfg.get("fan_in_fan_out"))) notes.add("fan_in_fan_out is true; PEFT ignores it for nn.Linear (Llama's layers), and so does this import");
        String baseModel = cfg.get("base_model_name_or_path") instanceof String s ? s : null;

        Path wf = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(wf)) {
            if (Files.isRegularFile(dir.resolve("adapter_model.bin"))) {
                throw new IOException(wf + ": missing; " + dir.resolve("adapter_model.bin") + " is a pickle, which jllm does not read (save with safe_serialization=True)");
            }
            throw new IOException(wf + ": missing");
        }
        Map<Long, float[][]> ab = new TreeMap<>(); // layer·7 + module ordinal (jllm's order: block, then q,k,v,o,gate,up,down) → {A, B}
        try (Safetensors st = Safetensors.open(wf)) {
            if (st.tensors().isEmpty()) throw new IOException(wf + ": no tensors");
            for (Safetensors.Info t : st.tensors()) {
                String k = t.name();
                Matcher m = PEFT_NAME.matcher(k);
                if (!m.matches()) {
                    int lora = Math.max(k.indexOf(".lora_A"), Math.max(k.indexOf(".lora_B"), k.indexOf(".lora_embedding_")));
                    if (lora > 0) {
                        String module = k.substring(0, lora).replaceFirst("^base_model\\.model\\.", "");
                        throw new IOException(wf + ": tensor '" + k + "' adapts '" + module + "', an unknown target module (known: model.layers.N." + KNOWN_PEFT + ")");
                    }
                    throw new IOException(wf + ": tensor '" + k + "' is not a LoRA tensor (...lora_A.weight / ...lora_B.weight)");
                }
                int layer = Integer.parseInt(m.group(1));
                LoraTarget mod = LoraTarget.ofPeft(m.group(2), m.group(3));
                if (mod == null) {
                    throw new IOException(wf + ": tensor '" + k + "' adapts '" + m.group(2) + "." + m.group(3) + "', an unknown target module (known: " + KNOWN_PEFT + ")");
                }
                if (layer >= base.nLayers()) throw new IOException(wf + ": tensor '" + k + "' is for layer " + layer + ", the base model has " + base.nLayers());
                boolean isA = m.group(4).equals("A");
                int[] io = mod.inOut(base);
                long[] want = isA ? new long[] {r, io[0]} : new long[] {io[1], r};
                if (!java.util.Arrays.equals(t.shape(), want)) {
                    throw new IOException(wf + ": tensor '" + k + "' has shape " + t.shapeText() + ", expected " + java.util.Arrays.toString(want).replace(" ", "")
                            + (isA ? " (r, in_features)" : " (out_features, r)") + " for r = " + r + " and the base model's " + mod.peft);
                }
                ab.computeIfAbsent(layer * (long) LoraTarget.values().length + mod.ordinal(), x -> new float[2][])[isA ? 0 : 1] = st.floats(t);
            }
        }
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        for (var e : ab.entrySet()) {
            int layer = (int) (e.getKey() / LoraTarget.values().length);
            LoraTarget mod = LoraTarget.values()[(int) (e.getKey() % LoraTarget.values().length)];
            String key = "base_model.model." + mod.hfModule(layer);
            if (e.getValue()[0] == null) throw new IOException(wf + ": tensor '" + key + ".lora_A.weight' is missing (" + key + ".lora_B.weight is there)");
            if (e.getValue()[1] == null) throw new IOException(wf + ": tensor '" + key + ".lora_B.weight' is missing (" + key + ".lora_A.weight is there)");
            int[] io = mod.inOut(base);
            int heads = permutedHeads(mod, base);
            float[] b = heads > 0 ? permuteRows(e.getValue()[1], io[1], r, heads) : e.getValue()[1];
            pairs.add(new LoraAdapter.Pair(mod.ggufWeight(layer), io[0], io[1], r, e.getValue()[0], b));
        }
        float ggufAlpha = rs ? (float) (alphaDec.doubleValue() * Math.sqrt(r)) : Float.parseFloat(alphaDec.toString());
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.name", GgufValue.ofString(dir.toAbsolutePath().normalize().getFileName().toString()));
        if (rs) meta.put(RS_LORA_KEY, GgufValue.ofBool(true));
        if (dropout != 0) meta.put(DROPOUT_KEY, GgufValue.ofFloat32(dropout));
        if (baseModel != null) meta.put(BASE_MODEL_KEY, GgufValue.ofString(baseModel));
        Number alphaOut = alphaDec.stripTrailingZeros().scale() <= 0 ? (Number) alphaDec.longValue() : alphaDec.doubleValue();
        return new Imported(new LoraAdapter(base.architecture(), ggufAlpha, pairs), meta, alphaOut, rs, baseModel, notes);
    }

    private static boolean nonEmpty(Object v) {
        return switch (v) {
            case null -> false;
            case Map<?, ?> m -> !m.isEmpty();
            case List<?> l -> !l.isEmpty();
            case String s -> !s.isEmpty();
            case Boolean b -> b;
            default -> true;
        };
    }

    private static void refuse(Path cf, Map<?, ?> cfg, String key, java.util.function.Predicate<Object> bad, String why) throws IOException {
        Object v = cfg.get(key);
        if (bad.test(v)) throw new IOException(cf + ": key '" + key + "' is " + describe(v) + ": " + why);
    }

    private static String describe(Object v) {
        return switch (v) {
            case String s -> '"' + s + '"';
            case Map<?, ?> m -> "an object with " + m.keySet();
            case List<?> l -> "a list of " + l.size();
            default -> String.valueOf(v);
        };
    }

    private static int intField(Path cf, Map<?, ?> cfg, String key, int def) throws IOException {
        Object v = cfg.get(key);
        if (v == null) return def;
        if (v instanceof BigDecimal d) {
            try {
                return d.intValueExact();
            } catch (ArithmeticException e) {
                // fall through
            }
        }
        throw new IOException(cf + ": key '" + key + "' must be an integer, got " + v);
    }

    private static BigDecimal numField(Path cf, Map<?, ?> cfg, String key, BigDecimal def) throws IOException {
        Object v = cfg.get(key);
        if (v == null) return def;
        if (v instanceof BigDecimal d) return d;
        throw new IOException(cf + ": key '" + key + "' must be a number, got " + v);
    }

    private static boolean boolField(Path cf, Map<?, ?> cfg, String key, boolean def) throws IOException {
        Object v = cfg.get(key);
        if (v == null) return def;
        if (v instanceof Boolean b) return b;
        throw new IOException(cf + ": key '" + key + "' must be true or false, got " + v);
    }
}
