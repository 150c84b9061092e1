package dev.jllm.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Every setting of a training run, with the defaults in one place ({@link #DEFAULTS}); validated on
 * construction. Built from a flat key → value map: defaults, then a YAML file, then command-line
 * flags ({@link #of}); an unknown key is an error, never silently ignored. {@link #render()} is the
 * effective config, printed at start and saved in every checkpoint.
 */
public record TrainConfig(
        String model,          // INIT_OR_BASE.gguf: jllm init output (pretraining) or an F32/F16/BF16 model
        String data,           // token shard directory (jllm tokenize-corpus)
        String out,            // final GGUF
        String log,            // log directory: train.csv, TensorBoard events, plot
        String mix,            // source weights "code=8,math=1"; empty = sources in proportion to their size
        int steps,             // optimizer steps
        int batch,             // sequences per micro-batch (B)
        int seq,               // tokens per sequence (T)
        int accum,             // micro-batches summed into one step (gradient accumulation)
        float lr,              // peak learning rate
        float minLrRatio,      // cosine decays to lr · minLrRatio at the last step
        int warmup,            // linear warmup steps
        float weightDecay,     // AdamW λ on matrices
        boolean decayEmbeddings,
        float beta1, float beta2, float eps,
        float clip,            // global gradient norm limit (0 = off)
        long seed,
        int threads,
        int evalEvery,         // validation every N steps (0 = only at the end)
        int evalBatches,       // validation batches per evaluation
        int checkpointEvery,   // checkpoint every N steps (0 = only at the end and on Ctrl-C)
        String checkpoint,     // checkpoint file (default OUT.ckpt)
        boolean resume,        // continue from the checkpoint if it exists
        int maxBadSteps,       // abort after this many non-finite steps in a row
        float badStepLrFactor, // LR multiplier after each non-finite step
        int spikeWindow,       // loss-spike detection: running window of steps
        float spikeSigmas) {   // a loss above mean + spikeSigmas·std of the window is a spike

    /** The defaults, in the order {@link #render()} prints them. */
    public static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("model", ""); d.put("data", ""); d.put("out", ""); d.put("log", ""); d.put("mix", "");
        d.put("steps", "1000"); d.put("batch", "8"); d.put("seq", "256"); d.put("accum", "1");
        d.put("lr", "1e-3"); d.put("min_lr_ratio", "0.1"); d.put("warmup", "100");
        d.put("weight_decay", "0.1"); d.put("decay_embeddings", "false");
        d.put("beta1", "0.9"); d.put("beta2", "0.95"); d.put("eps", "1e-8"); d.put("clip", "1.0");
        d.put("seed", "1337"); d.put("threads", String.valueOf(Runtime.getRuntime().availableProcessors()));
        d.put("eval_every", "100"); d.put("eval_batches", "10"); d.put("checkpoint_every", "200"); d.put("checkpoint", "");
        d.put("resume", "false"); d.put("max_bad_steps", "5"); d.put("bad_step_lr_factor", "0.5");
        d.put("spike_window", "50"); d.put("spike_sigmas", "6");
        return java.util.Collections.unmodifiableMap(d);
    }

    public TrainConfig {
        require(!model.isEmpty(), "model is required (a GGUF from jllm init or an F32/F16/BF16 base model)");
        require(!data.isEmpty(), "data is required (a directory written by jllm tokenize-corpus)");
        require(!out.isEmpty(), "out is required (the GGUF to write)");
        require(steps > 0, "steps must be > 0, got " + steps);
        require(batch > 0 && seq > 1 && accum > 0, "batch, seq and accum must be positive (seq > 1)");
        require(lr > 0 && Float.isFinite(lr), "lr must be > 0, got " + lr);
        require(minLrRatio >= 0 && minLrRatio <= 1, "min_lr_ratio must be in [0, 1], got " + minLrRatio);
        require(warmup >= 0, "warmup must be >= 0");
        require(weightDecay >= 0, "weight_decay must be >= 0");
        require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0, "beta1, beta2 must be in [0, 1) and eps > 0");
        require(clip >= 0, "clip must be >= 0 (0 = off)");
        require(threads > 0, "threads must be > 0");
        require(evalEvery >= 0 && evalBatches > 0 && checkpointEvery >= 0, "eval_every, checkpoint_every >= 0 and eval_batches > 0");
        require(maxBadSteps > 0 && badStepLrFactor > 0 && badStepLrFactor <= 1, "max_bad_steps > 0 and bad_step_lr_factor in (0, 1]");
        require(spikeWindow > 1 && spikeSigmas > 0, "spike_window > 1 and spike_sigmas > 0");
        if (checkpoint.isEmpty()) checkpoint = out + ".ckpt";
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid training config: " + message);
    }

    /** Defaults, overridden by each layer in turn (e.g. the YAML file, then flags). Unknown keys are errors. */
    @SafeVarargs
    public static TrainConfig of(Map<String, String>... layers) {
        Map<String, String> m = new LinkedHashMap<>(DEFAULTS);
        for (Map<String, String> layer : layers) {
            for (var e : layer.entrySet()) {
                String key = e.getKey().replace('-', '_');
                if (!DEFAULTS.containsKey(key)) {
                    throw new IllegalArgumentException("unknown training setting '" + e.getKey() + "'; known: " + new TreeSet<>(DEFAULTS.keySet()));
                }
                m.put(key, e.getValue());
            }
        }
        try {
            return new TrainConfig(m.get("model"), m.get("data"), m.get("out"), m.get("log"), m.get("mix"),
                    i(m, "steps"), i(m, "batch"), i(m, "seq"), i(m, "accum"), f(m, "lr"), f(m, "min_lr_ratio"), i(m, "warmup"),
                    f(m, "weight_decay"), b(m, "decay_embeddings"), f(m, "beta1"), f(m, "beta2"), f(m, "eps"), f(m, "clip"),
                    Long.parseLong(m.get("seed").trim()), i(m, "threads"), i(m, "eval_every"), i(m, "eval_batches"),
                    i(m, "checkpoint_every"), m.get("checkpoint"), b(m, "resume"), i(m, "max_bad_steps"), f(m, "bad_step_lr_factor"),
                    i(m, "spike_window"), f(m, "spike_sigmas"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid training config: " + e.getMessage(), e);
        }
    }

    private static int i(Map<String, String> m, String k) {
        try { return Integer.parseInt(m.get(k).trim()); } catch (NumberFormatException e) { throw new NumberFormatException(k + ": '" + m.get(k) + "' is not an integer"); }
    }

    private static float f(Map<String, String> m, String k) {
        try { return Float.parseFloat(m.get(k).trim()); } catch (NumberFormatException e) { throw new NumberFormatException(k + ": '" + m.get(k) + "' is not a number"); }
    }

    private static boolean b(Map<String, String> m, String k) {
        String v = m.get(k).trim().toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
        throw new NumberFormatException(k + ": '" + m.get(k) + "' is not true/false");
    }

    /** The effective config as YAML ({@code key: value} lines, the same keys {@link #of} reads). */
    public String render() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model); m.put("data", data); m.put("out", out); m.put("log", log); m.put("mix", mix);
        m.put("steps", steps); m.put("batch", batch); m.put("seq", seq); m.put("accum", accum);
        m.put("lr", lr); m.put("min_lr_ratio", minLrRatio); m.put("warmup", warmup);
        m.put("weight_decay", weightDecay); m.put("decay_embeddings", decayEmbeddings);
        m.put("beta1", beta1); m.put("beta2", beta2); m.put("eps", eps); m.put("clip", clip);
        m.put("seed", seed); m.put("threads", threads); m.put("eval_every", evalEvery); m.put("eval_batches", evalBatches);
        m.put("checkpoint_every", checkpointEvery); m.put("checkpoint", checkpoint); m.put("resume", resume);
        m.put("max_bad_steps", maxBadSteps); m.put("bad_step_lr_factor", badStepLrFactor);
        m.put("spike_window", spikeWindow); m.put("spike_sigmas", spikeSigmas);
        StringBuilder sb = new StringBuilder();
        for (var e : m.entrySet()) {
            String v = String.valueOf(e.getValue());
            sb.append(e.getKey()).append(": ").append(v.isEmpty() || v.contains(":") || v.contains("#") ? "\"" + v + "\"" : v).append('\n');
        }
        return sb.toString();
    }

    /**
     * Learning rate at step s (0-based): linear warmup to {@link #lr} over {@link #warmup} steps, then
     * a cosine decay to lr · minLrRatio at the last step (nanoGPT's get_lr).
     */
    public float lrAt(int s) {
        if (s < warmup) return lr * (s + 1) / warmup;
        float min = lr * minLrRatio;
        int decaySteps = Math.max(1, steps - warmup);
        double progress = Math.min(1.0, (double) (s - warmup) / decaySteps);
        return (float) (min + 0.5 * (1 + Math.cos(Math.PI * progress)) * (lr - min));
    }

    /** Tokens per optimizer step. */
    public long tokensPerStep() { return (long) batch * seq * accum; }

    /**
     * Reads a flat YAML mapping: {@code key: value} lines, '#' comments, optional quotes. Nested
     * mappings and lists are rejected (every training setting is a scalar).
     */
    public static Map<String, String> parseYaml(String text, String source) {
        Map<String, String> m = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            String trimmed = stripComment(line).strip();
            if (trimmed.isEmpty() || trimmed.equals("---")) continue;
            if (Character.isWhitespace(line.charAt(0)) || trimmed.startsWith("- ")) {
                throw new IllegalArgumentException(source + ":" + (n + 1) + ": only flat 'key: value' lines are supported, got '" + line.strip() + "'");
            }
            int colon = trimmed.indexOf(':');
            if (colon <= 0) throw new IllegalArgumentException(source + ":" + (n + 1) + ": expected 'key: value', got '" + trimmed + "'");
            String key = trimmed.substring(0, colon).strip(), value = trimmed.substring(colon + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            if (m.put(key, value) != null) throw new IllegalArgumentException(source + ":" + (n + 1) + ": duplicate key '" + key + "'");
        }
        return m;
    }

    private static String stripComment(String line) {
        boolean quoted = false;
        char q = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) { if (c == q) quoted = false; }
            else if (c == '"' || c == '\'') { quoted = true; q = c; }
            else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) return line.substring(0, i);
        }
        return line;
    }
}
