package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.chat.ChatMessage;
import dev.jllm.engine.LoadedModel;
import dev.jllm.gguf.GgufValue;
import dev.jllm.sft.Conversation;
import dev.jllm.sft.PreferenceEncoder;
import dev.jllm.sft.SftRenderer;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.LlamaModel;
import dev.jllm.train.ModelIO;
import dev.jllm.train.pref.MetricsLog;
import dev.jllm.train.pref.PpoTrainer;
import dev.jllm.train.pref.RewardModel;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm ppo}: PPO with a KL penalty against the base, rollouts by jllm's engine, reward from a reward model or a rule. */
@Command(name = "ppo", mixinStandardHelpOptions = true,
        description = {"PPO on prompts (--data: JSONL with \"prompt\", or preference/chat data whose prompts are used): rollouts sampled by jllm's",
            "engine from the policy (a LoRA adapter; the reference is the base with it off), reward from --reward-model RM.gguf or --reward",
            "length | keyword:WORD | regex:RE, per-token KL penalty (--kl-coef, or adaptive with --target-kl), value head, GAE, clipped",
            "losses, --ppo-epochs passes of --minibatch. Logs ppo.csv, samples.jsonl (every rollout and its reward), TensorBoard and",
            "ppo.png; writes the adapter. A reward model scores the prompt and the decoded answer rendered as jllm rm train renders pairs."})
final class PpoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin PrefTrainOptions t;
    @Option(names = "--out", required = true, paramLabel = "ADAPTER.gguf") Path out;
    @Option(names = "--reward-model", paramLabel = "RM.gguf", description = "a reward model from jllm rm train") Path rewardModel;
    @Option(names = "--reward", paramLabel = "RULE", description = "length (response tokens) | keyword:WORD (occurrences, whole words, any case) | regex:RE (1 if it matches)") String rule;
    @Option(names = "--raw-prompts", description = "prompts are plain text after BOS (no chat template): for base/story models") boolean raw;
    @Option(names = "--kl-coef", defaultValue = "0.1", description = "β of the per-token KL penalty (initial value when adaptive; default ${DEFAULT-VALUE})") double klCoef;
    @Option(names = "--target-kl", description = "adapt --kl-coef toward this KL per response (Ziegler et al.; off by default)") Double targetKl;
    @Option(names = "--kl-horizon", defaultValue = "10000") double horizon;
    @Option(names = "--ppo-epochs", defaultValue = "4") int epochs;
    @Option(names = "--minibatch", defaultValue = "4", description = "responses per update (default ${DEFAULT-VALUE})") int minibatch;
    @Option(names = "--gamma", defaultValue = "1.0") double gamma;
    @Option(names = "--lam", defaultValue = "0.95") double lam;
    @Option(names = "--cliprange", defaultValue = "0.2") double clip;
    @Option(names = "--cliprange-value", defaultValue = "0.2") double vfClip;
    @Option(names = "--vf-coef", defaultValue = "0.1") double vfCoef;
    @Option(names = "--max-new-tokens", defaultValue = "32") int maxNew;
    @Option(names = "--temperature", defaultValue = "1.0") float temperature;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        if (t.data == null) throw new IllegalArgumentException("--data PROMPTS.jsonl is required");
        if ((rewardModel == null) == (rule == null)) throw new IllegalArgumentException("give either --reward-model RM.gguf or --reward RULE");
        if (t.full) throw new IllegalArgumentException("jllm ppo trains a LoRA adapter (the reference is the base with it off); --full is not supported");
        // options of the shared preference-training mixin that PPO has no use for: refused rather than silently ignored
        var parsed = spec.commandLine().getParseResult();
        for (String unused : List.of("--format", "--skip-bad", "--val-fraction", "--eval-every", "--warmup", "--min-lr-ratio", "--weight-decay",
                "--checkpoint", "--checkpoint-every", "--resume")) {
            if (parsed.hasMatchedOption(unused)) throw new IllegalArgumentException(unused + " does not apply to jllm ppo (prompts only, no held-out"
                    + " pairs; a constant learning rate, no weight decay, as TRL's PPO; no checkpoints yet)");
        }
        PrefData d = PrefData.forModel(t.model, o);
        List<String> texts = promptTexts(t.data);
        List<int[]> prompts = encode(d, texts);
        // the reward model reads the prompt's text: the trainer hands back the very arrays of this list
        Map<int[], String> promptText = new IdentityHashMap<>();
        for (int i = 0; i < prompts.size(); i++) promptText.put(prompts.get(i), texts.get(i));
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(1);
        o.printf(Locale.ROOT, "%d prompts (longest %d tokens)%n", prompts.size(), longest);
        ModelIO.Loaded loaded = t.load();
        PpoTrainer.Settings st = new PpoTrainer.Settings(t.steps, t.batch, epochs, minibatch, gamma, lam, clip, vfClip, vfCoef, klCoef,
                targetKl == null ? Double.NaN : targetKl, horizon, t.lr, t.clip, t.seed);
        try (Parallel pool = new Parallel(t.threads());
             LoadedModel engine = LoadedModel.open(t.model, null, t.threads());
             EngineRollouts rollouts = new EngineRollouts(engine, t.batch, longest, maxNew, temperature)) {
            LlamaModel policy = t.policy(loaded, pool, o);
            PpoTrainer.RewardFn reward = reward(d, promptText, pool, o);
            if (t.log != null) {
                Files.createDirectories(t.log);
                reward = samples(reward, d, promptText, t.log.resolve("samples.jsonl"));
            }
            o.printf(Locale.ROOT, "PPO: kl_coef %s%s, %d steps of %d rollouts (≤ %d new tokens), %d epochs of minibatches of %d%n", klCoef,
                    targetKl == null ? " (fixed)" : " (adaptive, target KL " + targetKl + ")", t.steps, t.batch, maxNew, epochs, minibatch);
            o.flush();
            if (t.log != null) Files.createDirectories(t.log);
            int every = Math.max(1, t.steps / 20);
            PpoTrainer.Result r = new PpoTrainer(policy, st, pool).run(prompts, rollouts, reward, t.log, line -> {
                if (DpoCommand.isEvery(line, every, t.steps)) {
                    o.println(line);
                    o.flush();
                }
            });
            policy.lora.toAdapter().write(out, Map.of("general.name", GgufValue.ofString("jllm-ppo"), "training.steps", GgufValue.ofUInt32(t.steps),
                    dev.jllm.model.PeftLora.RS_LORA_KEY, GgufValue.ofBool(t.rsLora)));
            o.println("wrote the adapter " + out + " (run it with --lora)");
            if (t.log != null) {
                Path png = t.log.resolve("ppo.png");
                plot(png, r.steps());
                o.println("plot: " + png);
            }
            return 0;
        }
    }

    private PpoTrainer.RewardFn reward(PrefData d, Map<int[], String> promptText, Parallel pool, PrintWriter o) throws java.io.IOException {
        int eos = d.tokenizer.eos();
        if (rewardModel != null) {
            // The reward model scores (prompt, answer) rendered exactly as jllm rm train rendered its pairs: the prompt as the user turn
            // and the answer as the final assistant turn through its end-of-turn token, with the reward model's own tokenizer and
            // template. Gluing the rollout's ids on the prompt's would leave the answer without that end-of-turn token (cut at
            // --max-new-tokens, or ended by EOS), and the head reads the last token: it would score a position it never saw in training.
            RewardModel rm = RewardModel.load(rewardModel, pool);
            PrefData rd = PrefData.forModel(rewardModel, null);
            PreferenceEncoder enc = new PreferenceEncoder(new SftRenderer(rd.template, rd.tokenizer, SftRenderer.TrainOn.LAST), t.seq);
            return (ps, rs) -> {
                List<int[]> seqs = new ArrayList<>();
                int[] p = new int[ps.size()];
                for (int i = 0; i < ps.size(); i++) {
                    String answer = answerText(d, rs.get(i)).strip();
                    Conversation c = new Conversation(List.of(ChatMessage.user(promptText.get(ps.get(i))), ChatMessage.assistant(answer)), List.of(1), null,
                            "rollout", 0, i);
                    PreferenceEncoder.Encoded e = enc.encode(c);
                    seqs.add(e.tokens());
                    p[i] = e.prompt();
                }
                return rm.score(seqs, p, 16);
            };
        }
        String kind = rule.contains(":") ? rule.substring(0, rule.indexOf(':')) : rule, arg = rule.contains(":") ? rule.substring(rule.indexOf(':') + 1) : "";
        Pattern re = switch (kind) {
            case "length" -> null;
            case "keyword" -> Pattern.compile("\\b" + Pattern.quote(arg) + "\\b", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
            case "regex" -> Pattern.compile(arg);
            default -> throw new IllegalArgumentException("--reward must be length, keyword:WORD or regex:RE, got '" + rule + "'");
        };
        return (ps, rs) -> {
            double[] s = new double[rs.size()];
            for (int i = 0; i < s.length; i++) {
                int[] resp = rs.get(i);
                int n = resp.length > 0 && resp[resp.length - 1] == eos ? resp.length - 1 : resp.length;
                if (kind.equals("length")) {
                    s[i] = n;
                    continue;
                }
                var m = re.matcher(answerText(d, resp));
                if (kind.equals("regex")) s[i] = m.find() ? 1 : 0;
                else while (m.find()) s[i]++;
            }
            return s;
        };
    }

    /** A response's text: its tokens decoded, without the end-of-generation token that may end it. */
    static String answerText(PrefData d, int[] resp) {
        int n = resp.length > 0 && resp[resp.length - 1] == d.tokenizer.eos() ? resp.length - 1 : resp.length;
        return d.tokenizer.decode(Arrays.copyOf(resp, n));
    }

    /**
     * {@code reward} that also appends every rollout to {@code file} as a JSON line {@code {"step", "prompt", "response", "reward"}}
     * (TRL's game log): what the policy said at each step, to read beside the curves.
     */
    private static PpoTrainer.RewardFn samples(PpoTrainer.RewardFn reward, PrefData d, Map<int[], String> promptText, Path file) throws java.io.IOException {
        Files.deleteIfExists(file);
        ObjectMapper json = new ObjectMapper();
        int[] step = {0};
        return (ps, rs) -> {
            double[] s = reward.score(ps, rs);
            step[0]++;
            StringBuilder b = new StringBuilder();
            try {
                for (int i = 0; i < s.length; i++) {
                    Map<String, Object> row = new java.util.LinkedHashMap<>();
                    row.put("step", step[0]);
                    row.put("prompt", promptText.get(ps.get(i)));
                    row.put("response", answerText(d, rs.get(i)));
                    row.put("reward", s[i]);
                    b.append(json.writeValueAsString(row)).append('\n');
                }
                Files.writeString(file, b, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
            return s;
        };
    }

    /** Prompt texts: "prompt" (text) JSONL lines, or the prompts of preference/chat records. */
    private static List<String> promptTexts(Path file) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> texts = new ArrayList<>();
        String all = Files.readString(file, StandardCharsets.UTF_8).strip();
        List<JsonNode> recs = new ArrayList<>();
        if (all.startsWith("[")) json.readTree(all).forEach(recs::add);
        else for (String line : all.split("\n")) if (!line.isBlank()) recs.add(json.readTree(line));
        for (JsonNode r : recs) {
            if (r.path("prompt").isTextual()) texts.add(r.get("prompt").asText());
            else if (r.path("conversations").isArray()) texts.add(r.get("conversations").get(0).path("value").asText());
            else if (r.path("instruction").isTextual()) texts.add(r.get("instruction").asText() + (r.path("input").asText("").isEmpty() ? "" : "\n" + r.get("input").asText()));
            else if (r.path("messages").isArray()) texts.add(r.get("messages").get(0).path("content").asText());
            else throw new IllegalArgumentException(file + ": a record without 'prompt', 'conversations', 'instruction' or 'messages'");
        }
        if (texts.isEmpty()) throw new IllegalArgumentException(file + ": no prompts");
        return texts;
    }

    /** Prompt token ids: plain text after BOS (--raw-prompts), or the chat template up to where the assistant answers. */
    private List<int[]> encode(PrefData d, List<String> texts) {
        List<int[]> out = new ArrayList<>();
        PreferenceEncoder enc = new PreferenceEncoder(new SftRenderer(d.template, d.tokenizer, SftRenderer.TrainOn.LAST), t.seq);
        for (int i = 0; i < texts.size(); i++) {
            if (raw) {
                out.add(d.tokenizer.encode(texts.get(i), true, false));
            } else {
                Conversation c = new Conversation(List.of(ChatMessage.user(texts.get(i)), ChatMessage.assistant("x")), List.of(1), null, t.data.toString(), i + 1, i);
                PreferenceEncoder.Encoded e = enc.encode(c);
                out.add(Arrays.copyOf(e.tokens(), e.prompt()));
            }
        }
        return out;
    }

    static void plot(Path png, List<MetricsLog.Row> rows) throws java.io.IOException {
        MetricsPlot.write(png, List.of(
                new MetricsPlot.Panel("mean reward", List.of(MetricsPlot.of("reward", rows, "env/reward_mean", 0, false))),
                new MetricsPlot.Panel("KL(π‖π_ref) per response", List.of(MetricsPlot.of("KL", rows, "objective/kl", 1, false))),
                new MetricsPlot.Panel("response length (tokens)", List.of(MetricsPlot.of("length", rows, "response_length", 2, false))),
                new MetricsPlot.Panel("entropy per response", List.of(MetricsPlot.of("entropy", rows, "objective/entropy", 3, false))),
                new MetricsPlot.Panel("policy clip fraction, value loss", List.of(MetricsPlot.of("clipfrac", rows, "policy/clipfrac", 0, false),
                        MetricsPlot.of("value loss", rows, "value/loss", 1, false)))));
    }
}
