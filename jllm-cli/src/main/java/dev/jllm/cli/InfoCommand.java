package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.gguf.GgufValue;
import dev.jllm.model.MemoryPlan;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.ModelFile;
import dev.jllm.tensor.GgmlType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jllm info MODEL}: what a model file holds and what running it costs. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show a model: architecture, metadata, tensors, parameters, and its memory plan.",
            "weights at F32/F16/BF16/Q8_0/Q4_0, KV cache, LoRA, vocabulary change, and whether it fits here."})
final class InfoCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "a .gguf file or a llama2.c .bin checkpoint")
    Path model;

    @Option(names = "--ctx", paramLabel = "N", description = "context length to plan for (default: the model's)")
    Integer ctx;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "sequences served at once (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--cache-type", paramLabel = "f16|f32", defaultValue = "f16",
            description = "KV cache element type used for the verdict (default: ${DEFAULT-VALUE})")
    String cacheType;

    @Option(names = "--lora-rank", paramLabel = "R", defaultValue = "0", description = "plan a LoRA adapter of this rank")
    int loraRank;

    @Option(names = "--lora-targets", paramLabel = "LIST", split = ",", defaultValue = "q,k,v,o",
            description = "adapted matrices among q,k,v,o,gate,up,down (default: ${DEFAULT-VALUE})")
    List<String> loraTargets;

    @Option(names = "--vocab", paramLabel = "N", defaultValue = "0", description = "plan a vocabulary of N tokens")
    int newVocab;

    @Option(names = "--json", description = "print JSON instead of text")
    boolean json;

    @Override
    public Integer call() throws Exception {
        GgmlType cache = dev.jllm.engine.LoadedModel.cacheType(cacheType);
        try (ModelFile mf = ModelFile.open(model)) {
            ModelConfig c = mf.config();
            int planCtx = ctx != null ? ctx : c.contextLength();
            Set<String> targets = new LinkedHashSet<>();
            for (String t : loraTargets) targets.add(t.trim().toLowerCase(Locale.ROOT));
            MemoryPlan.Request req = new MemoryPlan.Request(planCtx, batch, loraRank, targets, newVocab, cache);
            MachineMemory ram = MachineMemory.read();
            List<MemoryPlan.Item> plan = MemoryPlan.items(c, mf.tensors(), mf.tensorBytes(), MemoryPlan.repackedBytes(mf.tensors()), req, ram.total(), ram.available());
            Map<String, Object> report = report(mf, plan, req);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            } else {
                printText(out, mf, plan, req);
            }
            out.flush();
        }
        return 0;
    }

    private static Map<String, Object> report(ModelFile mf, List<MemoryPlan.Item> plan, MemoryPlan.Request req) throws Exception {
        ModelConfig c = mf.config();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("file", mf.path().toString());
        r.put("file_size", mf.fileSize());
        r.put("format", mf.formatName());
        r.put("architecture", c.architecture());
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("dim", c.dim());
        cfg.put("hidden_dim", c.hiddenDim());
        cfg.put("n_layers", c.nLayers());
        cfg.put("n_heads", c.nHeads());
        cfg.put("n_kv_heads", c.nKvHeads());
        cfg.put("head_dim", c.headDim());
        cfg.put("vocab_size", c.vocabSize());
        cfg.put("context_length", c.contextLength());
        cfg.put("rms_eps", c.rmsEps());
        cfg.put("rope_theta", c.ropeTheta());
        cfg.put("tied_embeddings", c.tiedEmbeddings());
        r.put("config", cfg);
        Map<String, Object> meta = new LinkedHashMap<>();
        for (Map.Entry<String, GgufValue> e : mf.metadata().entrySet()) meta.put(e.getKey(), jsonValue(e.getValue()));
        r.put("metadata", meta);
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("model", mf.tokenizerModel());
        tok.put("vocab_size", tokenizerVocab(mf));
        tok.put("chat_template", mf.hasChatTemplate());
        r.put("tokenizer", tok);
        List<Map<String, Object>> types = new ArrayList<>();
        for (Map.Entry<GgmlType, long[]> e : byType(mf.tensors()).entrySet()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("type", e.getKey().name());
            t.put("tensors", e.getValue()[0]);
            t.put("elements", e.getValue()[1]);
            t.put("bytes", e.getValue()[2]);
            t.put("bits_per_weight", e.getKey().bitsPerWeight());
            types.add(t);
        }
        r.put("tensor_types", types);
        r.put("tensor_count", mf.tensors().size());
        r.put("parameters", mf.parameterCount());
        r.put("plan_request", Map.of("ctx", req.ctx(), "batch", req.batch(), "cache_type", req.cacheType().name(),
                "lora_rank", req.loraRank(), "lora_targets", req.loraTargets().stream().sorted().toList(), "vocab", req.newVocab()));
        List<Map<String, Object>> items = new ArrayList<>();
        for (MemoryPlan.Item i : plan) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", i.key());
            m.put("label", i.label());
            m.put("value", i.unit().equals("percent") ? (Object) i.value() : (Object) (long) i.value());
            m.put("unit", i.unit());
            m.put("formula", i.formula());
            items.add(m);
        }
        r.put("plan", items);
        Map<String, MemoryPlan.Item> k = MemoryPlan.byKey(plan);
        long headroom = (long) k.get("verdict.headroom").value();
        r.put("verdict", Map.of("fits", headroom >= 0, "need_bytes", (long) k.get("run.need").value(),
                "available_bytes", (long) k.get("machine.ram_available").value(), "headroom_bytes", headroom));
        return r;
    }

    private static Object jsonValue(GgufValue v) {
        if (v.value() instanceof GgufArray a) {
            if (a.length() <= 64) return javaArray(a);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("array_of", a.elementType().name());
            m.put("length", a.length());
            return m;
        }
        return v.value();
    }

    private static Object javaArray(GgufArray a) {
        List<Object> l = new ArrayList<>();
        for (int i = 0; i < a.length(); i++) {
            Object x = java.lang.reflect.Array.get(a.values(), i);
            l.add(x instanceof GgufArray n ? javaArray(n) : x);
        }
        return l;
    }

    private static Integer tokenizerVocab(ModelFile mf) throws Exception {
        if (mf.gguf() == null) return null;
        GgufArray tokens = mf.gguf().getArray("tokenizer.ggml.tokens");
        return tokens == null ? null : tokens.length();
    }

    /** type → {tensors, elements, bytes}, in ggml id order. */
    private static Map<GgmlType, long[]> byType(List<GgufTensorInfo> tensors) {
        Map<GgmlType, long[]> m = new TreeMap<>();
        for (GgufTensorInfo t : tensors) {
            long[] a = m.computeIfAbsent(t.type(), x -> new long[3]);
            a[0]++;
            a[1] += t.elementCount();
            a[2] += t.byteSize();
        }
        return m;
    }

    private static void printText(PrintWriter out, ModelFile mf, List<MemoryPlan.Item> plan, MemoryPlan.Request req) throws Exception {
        ModelConfig c = mf.config();
        out.printf("model         %s%n", mf.path());
        out.printf("format        %s%s%n", mf.formatName(), mf.gguf() != null ? ", alignment " + mf.gguf().alignment() : "");
        out.printf("file size     %s (%s bytes)%n", Units.bytes(mf.fileSize()), Units.grouped(mf.fileSize()));
        out.printf("architecture  %s%n", c.architecture());
        out.println();
        out.println("hyperparameters");
        out.printf("  dim %d · hidden %d · layers %d · heads %d · kv heads %d · head dim %d%n",
                c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.headDim());
        out.printf("  vocab %d · context %d · rms eps %g · rope theta %g · output %s%n", c.vocabSize(), c.contextLength(),
                c.rmsEps(), c.ropeTheta(), c.tiedEmbeddings() ? "tied to token embedding" : "separate output.weight");
        if (!mf.metadata().isEmpty()) {
            out.println();
            out.println("metadata (" + mf.metadata().size() + " keys)");
            for (Map.Entry<String, GgufValue> e : mf.metadata().entrySet()) {
                String v = e.getValue().render(6);
                if (e.getKey().equals("tokenizer.chat_template")) v = "<" + ((String) e.getValue().value()).length() + " chars>";
                if (v.length() > 120) v = v.substring(0, 117) + "...";
                out.printf("  %-42s %s%n", e.getKey(), v.replace("\n", "\\n"));
            }
        }
        out.println();
        if (mf.gguf() != null) {
            String kind = mf.tokenizerModel();
            out.printf("tokenizer     %s, vocab %s, chat template %s%n", kind == null ? "none in file" : kind + " (" + describe(kind) + ")",
                    tokenizerVocab(mf) == null ? "?" : tokenizerVocab(mf), mf.hasChatTemplate() ? "present" : "absent");
        } else {
            out.println("tokenizer     not in file (llama2.c checkpoints use a separate tokenizer.bin); chat template absent");
        }
        out.println();
        out.println("tensors by type");
        out.printf("  %-8s %8s %16s %16s  %6s%n", "type", "tensors", "elements", "bytes", "bits/w");
        for (Map.Entry<GgmlType, long[]> e : byType(mf.tensors()).entrySet()) {
            long[] a = e.getValue();
            out.printf(Locale.ROOT, "  %-8s %8d %16s %16s  %6.4g  (%s)%n", e.getKey(), a[0], Units.grouped(a[1]), Units.grouped(a[2]),
                    e.getKey().bitsPerWeight(), Units.bytes(a[2]));
        }
        out.printf("  %-8s %8d %16s %16s%n", "total", mf.tensors().size(), Units.grouped(mf.parameterCount()), Units.grouped(mf.tensorBytes()));
        out.printf("parameters    %s (%s) = Σ over %d tensors of the product of their dims%n",
                Units.grouped(mf.parameterCount()), Units.count(mf.parameterCount()), mf.tensors().size());
        out.println();
        out.printf("memory plan   ctx %d × batch %d, KV cache %s%s%n", req.ctx(), req.batch(), req.cacheType(),
                req.ctx() > c.contextLength() ? "  (warning: ctx exceeds the model's trained context " + c.contextLength() + ")" : "");
        for (MemoryPlan.Item i : plan) {
            String v = switch (i.unit()) {
                case "bytes" -> String.format(Locale.ROOT, "%12s  %,d B", Units.bytes(i.value()), (long) i.value());
                case "params" -> String.format(Locale.ROOT, "%12s  %,d params", Units.count(i.value()), (long) i.value());
                default -> String.format(Locale.ROOT, "%11.3f%%", i.value());
            };
            out.printf("  %-58s %s%n", i.label(), v);
            out.printf("  %-58s   = %s%n", "", i.formula());
        }
        Map<String, MemoryPlan.Item> k = MemoryPlan.byKey(plan);
        long need = (long) k.get("run.need").value();
        long avail = (long) k.get("machine.ram_available").value();
        long head = avail - need;
        out.println();
        if (head >= 0) {
            out.printf("verdict       FITS: needs %s of %s available RAM (headroom %s)%n", Units.bytes(need), Units.bytes(avail), Units.bytes(head));
        } else {
            out.printf("verdict       DOES NOT FIT: needs %s but only %s RAM is available (short by %s); try a smaller --ctx/--batch,"
                    + " an F16 cache or a quantized model%n", Units.bytes(need), Units.bytes(avail), Units.bytes(-head));
        }
    }

    private static String describe(String kind) {
        return switch (kind) {
            case "llama" -> "SentencePiece BPE with byte fallback";
            case "gpt2" -> "byte-level BPE";
            case "bert" -> "WordPiece";
            case "t5" -> "SentencePiece unigram";
            case "rwkv" -> "RWKV trie";
            default -> "unknown kind";
        };
    }
}
