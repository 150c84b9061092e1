package dev.jllm.cli;

import dev.jllm.model.LlamaLayout;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.ModelPresets;
import dev.jllm.model.RandomModel;
import dev.jllm.tensor.GgmlType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm init}: a random-weight model of any shape (benchmarks; pretraining starts here). */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a random-weight model of a preset or custom shape as GGUF.")
final class InitCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "OUT", description = "output .gguf")
    Path out;

    @Option(names = "--preset", paramLabel = "NAME", description = "llama-3.2-1b, llama-3.2-3b, smollm-135m, tinyllama-1.1b, qwen2.5-0.5b, qwen3-0.6b, tiny")
    String preset;

    @Option(names = "--arch", paramLabel = "A", description = "llama | qwen2 | qwen3 (default: the preset's, else llama)")
    String arch;

    @Option(names = "--dim") Integer dim;
    @Option(names = {"--hidden", "--ffn-dim"}, description = "SwiGLU inner width (feed_forward_length)") Integer hidden;
    @Option(names = "--layers") Integer layers;
    @Option(names = "--heads") Integer heads;
    @Option(names = "--kv-heads") Integer kvHeads;
    @Option(names = "--head-dim") Integer headDim;
    @Option(names = "--vocab") Integer vocab;
    @Option(names = "--ctx") Integer ctx;

    @Option(names = "--type", defaultValue = "f32", description = "weight type: f32, f16, bf16, q8_0, q4_0, q4_1, q4_k, q5_k, q6_k, iq4_nl, iq4_xs (default: ${DEFAULT-VALUE})")
    String type;

    @Option(names = "--random", description = "random weights (the only kind init writes; accepted for clarity)")
    boolean random;

    @Option(names = "--seed", defaultValue = "42") long seed;

    @Option(names = "--tokenizer", paramLabel = "T",
            description = "copy the vocabulary and tokenizer metadata (tokenizer.*) from a GGUF, or convert a byte-level BPE tokenizer.json; sets --vocab")
    java.nio.file.Path tokenizer;

    @Option(names = "--chat-template", paramLabel = "chatml|FILE",
            description = "store a chat template as tokenizer.chat_template: chatml (<|im_start|>role\\ncontent<|im_end|>, the vocabulary must have both tokens) or a Jinja file; needs --tokenizer")
    String chatTemplate;

    @Option(names = "--bos-token", paramLabel = "TEXT", description = "set tokenizer.ggml.bos_token_id to this token of the vocabulary; needs --tokenizer")
    String bosToken;

    @Option(names = "--eos-token", paramLabel = "TEXT",
            description = "set tokenizer.ggml.eos_token_id to this token (e.g. <|endoftext|>; documents are packed with it); needs --tokenizer")
    String eosToken;

    @Option(names = "--tied-embeddings", arity = "1", paramLabel = "true|false",
            description = "share the token embedding with the output projection (default: the preset's; true without a preset)")
    Boolean tiedEmbeddings;

    @Option(names = "--rope-theta", description = "RoPE base frequency (default: the preset's)")
    Float ropeTheta;

    @Option(names = "--std", defaultValue = "0.02", description = "weight init standard deviation (default: ${DEFAULT-VALUE}; larger = peakier random model)")
    double std;

    @Override
    public Integer call() throws Exception {
        ModelConfig base = preset != null ? ModelPresets.get(preset) : ModelPresets.get("tiny");
        if (preset == null && dim == null) {
            throw new IllegalArgumentException("give --preset NAME or a shape (--dim, --layers, --heads, ...)");
        }
        java.util.Map<String, dev.jllm.gguf.GgufValue> tok = tokenizer == null ? null : tokenizerMetadata(tokenizer);
        if (tok != null) {
            int n = ((dev.jllm.gguf.GgufArray) tok.get("tokenizer.ggml.tokens").value()).length();
            if (vocab != null && vocab != n) throw new IllegalArgumentException("--vocab " + vocab + " disagrees with " + tokenizer + "'s " + n + " tokens");
            vocab = n;
            applyTokenOptions(tok);
        } else if (chatTemplate != null || bosToken != null || eosToken != null) {
            throw new IllegalArgumentException("--chat-template, --bos-token and --eos-token need --tokenizer (the vocabulary they refer to)");
        }
        int d = dim != null ? dim : base.dim();
        int h = heads != null ? heads : base.nHeads();
        ModelConfig c = new ModelConfig(arch != null ? arch : base.architecture(), d, hidden != null ? hidden : base.hiddenDim(),
                layers != null ? layers : base.nLayers(), h, kvHeads != null ? kvHeads : Math.min(h, base.nKvHeads()),
                headDim != null ? headDim : (dim != null || heads != null ? d / h : base.headDim()),
                vocab != null ? vocab : base.vocabSize(), ctx != null ? ctx : base.contextLength(), base.rmsEps(),
                ropeTheta != null ? ropeTheta : base.ropeTheta(), tiedEmbeddings != null ? tiedEmbeddings : base.tiedEmbeddings());
        dev.jllm.model.Architecture.of(c.architecture());
        GgmlType t = GgmlType.valueOf(type.toUpperCase(Locale.ROOT));
        var err = spec.commandLine().getErr();
        long params = LlamaLayout.tensors(c, GgmlType.F32).stream().mapToLong(x -> x.elementCount()).sum();
        long bytes = dev.jllm.model.MemoryPlan.weightBytes(LlamaLayout.tensors(c, GgmlType.F32), t).bytes();
        try (Progress p = new Progress(err, "init", bytes, true)) {
            RandomModel.write(c, t, seed, std, out, p::add);
            if (tok != null) replaceTokenizer(out, tok);
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %s %s, %s parameters, %s, %.1f s%n", out, c.architecture(),
                    preset != null ? preset : "custom", Units.count(params), Units.bytes(java.nio.file.Files.size(out)), p.seconds());
        }
        return 0;
    }

    /** --bos-token, --eos-token and --chat-template written into the tokenizer metadata, each checked against its vocabulary. */
    private void applyTokenOptions(java.util.Map<String, dev.jllm.gguf.GgufValue> tok) throws java.io.IOException {
        dev.jllm.gguf.GgufArray tokens = (dev.jllm.gguf.GgufArray) tok.get("tokenizer.ggml.tokens").value();
        java.util.Map<String, Integer> ids = new java.util.HashMap<>();
        String[] pieces = tokens.strings();
        for (int i = 0; i < pieces.length; i++) ids.putIfAbsent(pieces[i], i);
        java.util.function.BiFunction<String, String, Integer> id = (flag, text) -> {
            Integer i = ids.get(text);
            if (i == null) throw new IllegalArgumentException(flag + " '" + text + "' is not a token of " + tokenizer + "; train the tokenizer with --special '" + text + "'");
            return i;
        };
        if (bosToken != null) tok.put("tokenizer.ggml.bos_token_id", dev.jllm.gguf.GgufValue.ofUInt32(id.apply("--bos-token", bosToken)));
        if (eosToken != null) tok.put("tokenizer.ggml.eos_token_id", dev.jllm.gguf.GgufValue.ofUInt32(id.apply("--eos-token", eosToken)));
        if (chatTemplate != null) {
            String source;
            if (chatTemplate.equals("chatml")) {
                id.apply("--chat-template chatml needs the token", "<|im_start|>");
                id.apply("--chat-template chatml needs the token", "<|im_end|>");
                source = dev.jllm.chat.ChatTemplate.FALLBACK_SOURCE;
            } else {
                Path f = Path.of(chatTemplate);
                if (!java.nio.file.Files.isRegularFile(f)) throw new IllegalArgumentException("--chat-template: give chatml or a Jinja file; " + f + " is not a file");
                source = java.nio.file.Files.readString(f);
            }
            dev.jllm.chat.ChatTemplate.of(source, "", ""); // parses: a broken template is refused here, not at serve time
            tok.put("tokenizer.chat_template", dev.jllm.gguf.GgufValue.ofString(source));
        }
    }

    /** The tokenizer.* metadata of a GGUF, or of a tokenizer.json converted as llama.cpp's convert_hf_to_gguf does. */
    private static java.util.Map<String, dev.jllm.gguf.GgufValue> tokenizerMetadata(java.nio.file.Path p) throws Exception {
        if (p.getFileName().toString().endsWith(".json")) return tokenizerJsonMetadata(p);
        try (dev.jllm.gguf.GgufFile g = dev.jllm.gguf.GgufFile.open(p)) {
            java.util.Map<String, dev.jllm.gguf.GgufValue> m = new java.util.LinkedHashMap<>();
            g.metadata().forEach((k, v) -> { if (k.startsWith("tokenizer.")) m.put(k, v); });
            if (!(m.get("tokenizer.ggml.tokens") != null && m.get("tokenizer.ggml.tokens").value() instanceof dev.jllm.gguf.GgufArray)) {
                throw new IllegalArgumentException(p + " has no tokenizer.ggml.tokens vocabulary");
            }
            return m;
        }
    }

    /** GGUF pre-tokenizer names tried for a tokenizer.json, by their regexes. */
    private static final java.util.List<String> GGUF_PRES = java.util.List.of("qwen2", "llama-bpe", "gpt-2", "default", "starcoder", "deepseek-v3",
            "deepseek-llm", "deepseek-coder", "falcon", "jllm-cjk");

    /**
     * A byte-level BPE tokenizer.json as {@code tokenizer.ggml.*} metadata (model gpt2): tokens and
     * types from jllm's loader, merges from the file, the GGUF pre-tokenizer whose regexes equal the
     * file's. Checked by {@link #replaceTokenizer}: the written GGUF must encode a probe text to the
     * same ids as the tokenizer.json.
     */
    private static java.util.Map<String, dev.jllm.gguf.GgufValue> tokenizerJsonMetadata(java.nio.file.Path p) throws Exception {
        dev.jllm.tokenizer.ByteLevelBpe tj = dev.jllm.tokenizer.TokenizerJsonLoader.load(p);
        String pre = null;
        for (String c : GGUF_PRES) {
            if (dev.jllm.tokenizer.PreTokenizer.forGgufPre(c).regexes().equals(tj.preTokenizer().regexes())) { pre = c; break; }
        }
        if (pre == null) {
            throw new IllegalArgumentException(p + ": its pre-tokenizer " + tj.preTokenizer().regexes() + " has no llama.cpp (tokenizer.ggml.pre) name;"
                    + " convert the model with llama.cpp's convert_hf_to_gguf.py and pass that GGUF");
        }
        com.fasterxml.jackson.databind.JsonNode merges = new com.fasterxml.jackson.databind.ObjectMapper().readTree(p.toFile()).path("model").path("merges");
        String[] ms = new String[merges.size()];
        for (int i = 0; i < ms.length; i++) {
            com.fasterxml.jackson.databind.JsonNode m = merges.get(i);
            ms[i] = m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText();
        }
        dev.jllm.tokenizer.Vocabulary v = tj.vocabulary();
        String[] tokens = new String[v.size()];
        int[] types = new int[v.size()];
        for (int id = 0; id < v.size(); id++) {
            tokens[id] = v.piece(id);
            types[id] = v.type(id).code();
        }
        java.util.Map<String, dev.jllm.gguf.GgufValue> m = new java.util.LinkedHashMap<>();
        m.put("tokenizer.ggml.model", dev.jllm.gguf.GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", dev.jllm.gguf.GgufValue.ofString(pre));
        m.put("tokenizer.ggml.tokens", dev.jllm.gguf.GgufValue.ofArray(dev.jllm.gguf.GgufArray.ofStrings(tokens)));
        m.put("tokenizer.ggml.token_type", dev.jllm.gguf.GgufValue.ofArray(dev.jllm.gguf.GgufArray.ofInt32(types)));
        m.put("tokenizer.ggml.merges", dev.jllm.gguf.GgufValue.ofArray(dev.jllm.gguf.GgufArray.ofStrings(ms)));
        if (v.bos() >= 0) m.put("tokenizer.ggml.bos_token_id", dev.jllm.gguf.GgufValue.ofUInt32(v.bos()));
        if (v.eos() >= 0) m.put("tokenizer.ggml.eos_token_id", dev.jllm.gguf.GgufValue.ofUInt32(v.eos()));
        m.put("tokenizer.ggml.add_bos_token", dev.jllm.gguf.GgufValue.ofBool(v.addBos()));
        m.put("tokenizer.ggml.add_eos_token", dev.jllm.gguf.GgufValue.ofBool(v.addEos()));
        m.put(PROBE_SOURCE, dev.jllm.gguf.GgufValue.ofString(p.toString())); // removed again after the check
        return m;
    }

    private static final String PROBE_SOURCE = "jllm.init.tokenizer_json";
    private static final String PROBE = "Hello, world! It's 2024: naïve café — 3.14159 apples\n\tdon't   stop 東京 🙂 <|endoftext|>";

    /** Rewrites {@code out} with its synthetic vocabulary replaced by {@code tok} (tensors copied as they are). */
    private static void replaceTokenizer(java.nio.file.Path out, java.util.Map<String, dev.jllm.gguf.GgufValue> tok) throws java.io.IOException {
        java.nio.file.Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (dev.jllm.gguf.GgufFile g = dev.jllm.gguf.GgufFile.open(out)) {
            dev.jllm.gguf.GgufWriter w = new dev.jllm.gguf.GgufWriter();
            g.metadata().forEach((k, v) -> { if (!k.startsWith("tokenizer.") && !k.equals("general.alignment")) w.put(k, v); });
            tok.forEach((k, v) -> { if (!k.equals(PROBE_SOURCE)) w.put(k, v); });
            for (dev.jllm.gguf.GgufTensorInfo ti : g.tensors()) w.addTensor(ti.name(), ti.type(), ti.dims(), g.tensorData(ti));
            w.write(tmp);
        }
        if (tok.containsKey(PROBE_SOURCE)) {
            java.nio.file.Path json = java.nio.file.Path.of((String) tok.get(PROBE_SOURCE).value());
            int[] want = dev.jllm.tokenizer.TokenizerJsonLoader.load(json).encode(PROBE, false, true);
            int[] got;
            try (dev.jllm.gguf.GgufFile g = dev.jllm.gguf.GgufFile.open(tmp)) {
                got = dev.jllm.tokenizer.GgufTokenizerLoader.load(g).encode(PROBE, false, true);
            }
            if (!java.util.Arrays.equals(want, got)) {
                java.nio.file.Files.deleteIfExists(tmp);
                java.nio.file.Files.deleteIfExists(out);
                throw new IllegalArgumentException(json + ": the converted GGUF vocabulary tokenizes differently from the tokenizer.json ("
                        + java.util.Arrays.toString(got) + " vs " + java.util.Arrays.toString(want) + "); convert the model with llama.cpp instead");
            }
        }
        java.nio.file.Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
