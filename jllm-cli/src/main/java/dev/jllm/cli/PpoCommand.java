package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.chat.ChatMessage;
import dev.jllm.engine.LoadedModel;
import dev.jllm.gguf.GgufValue;
import dev.jllm.sft.Conversation;
import dev.jllm.sft.PreferenceEncoder;
import dev.jllm.sft.PreferenceReader;
import dev.jllm.sft.PreferenceRecord;
import dev.jllm.sft.SftException;
import dev.jllm.sft.SftReader;
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
        List<List<ChatMessage>> turns = promptTurns(t.data);
        List<int[]> prompts = encode(d, turns, o);
        // the reward model reads the prompt's messages: the trainer hands back the very arrays of this list
        Map<int[], List<ChatMessage>> promptText = new IdentityHashMap<>();
        for (int i = 0; i < prompts.size(); i++) promptText.put(prompts.get(i), turns.get(i));
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

    private PpoTrainer.RewardFn reward(PrefData d, Map<int[], List<ChatMessage>> promptText, Parallel pool, PrintWriter o) throws java.io.IOException {
        int eos = d.tokenizer.eos();
        if (rewardModel != null) {
            // The reward model scores (prompt, answer) rendered exactly as jllm rm train rendered its pairs: the prompt as the user turn
            // and the answer as the final assistant turn through its end-of-turn token, with the reward model's own tokenizer and
            // template. Gluing the rollout's ids on the prompt's would leave the answer without that end-of-turn token (cut at
            // --max-new-tokens, or ended by EOS), and the head reads the last token: it would score a position it never saw in training.
            RewardModel rm = RewardModel.load(rewardModel, pool);
            PrefData rd = PrefData.forModel(rewardModel, null);
            // prompt + answer as long as the policy's rows, within the reward model's own context
            PreferenceEncoder enc = new PreferenceEncoder(new SftRenderer(rd.template, rd.tokenizer, SftRenderer.TrainOn.LAST),
                    Math.min(rd.context, d.seq(t.seq)));
            return (ps, rs) -> {
                List<int[]> seqs = new ArrayList<>();
                int[] p = new int[ps.size()];
                for (int i = 0; i < ps.size(); i++) {
                    String answer = answerText(d, rs.get(i)).strip();
                    List<ChatMessage> msgs = new ArrayList<>(promptText.get(ps.get(i)));
                    msgs.add(ChatMessage.assistant(answer));
                    Conversation c = new Conversation(msgs, List.of(msgs.size() - 1), null, "rollout", 0, i);
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
    private static PpoTrainer.RewardFn samples(PpoTrainer.RewardFn reward, PrefData d, Map<int[], List<ChatMessage>> promptText, Path file) throws java.io.IOException {
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
                    List<ChatMessage> p = promptText.get(ps.get(i));
                    // a one-turn prompt as its text, a longer one as its messages (both are TRL's prompt forms)
                    row.put("prompt", p.size() == 1 ? p.getFirst().content()
                            : p.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
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

    /**
     * The prompts of {@code file} as chat turns: {@code {"prompt": "text"}} lines (a prompt-only file), or the shared prompt of
     * preference records in any form {@code jllm dpo} reads (LLaMA-Factory, TRL strings or message lists, OpenAI messages +
     * chosen/rejected: system prompt and earlier turns kept), or chat records (messages, Alpaca, ShareGPT) without their last answer.
     */
    private static List<List<ChatMessage>> promptTurns(Path file) throws java.io.IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--data " + file + ": no such file");
        List<List<ChatMessage>> out = new ArrayList<>();
        List<JsonNode> recs = promptOnlyRecords(file);
        if (recs != null) {
            for (JsonNode r : recs) out.add(List.of(ChatMessage.user(r.get("prompt").asText())));
            return out;
        }
        try {
            for (PreferenceRecord r : PreferenceReader.read(file, SftReader.Options.DEFAULT).records()) out.add(r.prompt());
        } catch (SftException e) {
            if (!e.getMessage().contains("'chosen' and 'rejected'")) throw e;
            for (Conversation c : SftReader.read(file, SftReader.Options.DEFAULT).conversations()) {
                List<ChatMessage> m = c.messages();
                int end = m.getLast().role().equals("assistant") ? m.size() - 1 : m.size();
                if (end == 0) throw new IllegalArgumentException(c.where() + ": no prompt before the answer");
                out.add(m.subList(0, end));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no prompts");
        return out;
    }

    /** The records of a JSON/JSONL file when every one is {"prompt": "text"} without answers, else null. */
    private static List<JsonNode> promptOnlyRecords(Path file) throws java.io.IOException {
        if (file.toString().endsWith(".gz")) return null; // compressed data is preference or chat data: the readers open it
        String all = Files.readString(file, StandardCharsets.UTF_8).strip();
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> recs = new ArrayList<>();
        try {
            if (all.startsWith("[")) json.readTree(all).forEach(recs::add);
            else for (String line : all.split("\n")) if (!line.isBlank()) recs.add(json.readTree(line));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null; // not plain JSON lines: the readers report where
        }
        for (JsonNode r : recs) if (!r.path("prompt").isTextual() || r.has("chosen") || r.has("rejected")) return null;
        return recs.isEmpty() ? null : recs;
    }

    /**
     * Prompt token ids: plain text after BOS (--raw-prompts, one-turn prompts), or the chat template up to where the assistant
     * answers; a prompt longer than --seq − --max-new-tokens keeps its first token and its end (the turn being answered),
     * as {@link PreferenceEncoder} cuts pairs, so every rollout fits a training row.
     */
    private List<int[]> encode(PrefData d, List<List<ChatMessage>> turns, PrintWriter o) {
        int seq = d.seq(t.seq), room = seq - maxNew;
        if (room < 2) throw new IllegalArgumentException("--max-new-tokens " + maxNew + " leaves no room for a prompt in --seq " + seq + " (the model's context is "
                + d.context + "); lower --max-new-tokens");
        List<int[]> out = new ArrayList<>();
        int cut = 0;
        PreferenceEncoder enc = new PreferenceEncoder(new SftRenderer(d.template, d.tokenizer, SftRenderer.TrainOn.LAST), seq);
        for (int i = 0; i < turns.size(); i++) {
            List<ChatMessage> p = turns.get(i);
            if (raw) {
                if (p.size() != 1) throw new IllegalArgumentException("--raw-prompts takes one-turn prompts; record " + (i + 1) + " of " + t.data + " has "
                        + p.size() + " messages (drop --raw-prompts to render them with the chat template)");
                out.add(d.tokenizer.encode(p.getFirst().content(), true, false));
            } else {
                List<ChatMessage> m = new ArrayList<>(p);
                m.add(ChatMessage.assistant("x"));
                PreferenceEncoder.Encoded e = enc.encode(new Conversation(m, List.of(m.size() - 1), null, t.data.toString(), i + 1, i));
                out.add(Arrays.copyOf(e.tokens(), e.prompt()));
            }
            int[] p2 = out.getLast();
            if (p2.length > room) {
                int[] k = new int[room];
                k[0] = p2[0];
                System.arraycopy(p2, p2.length - (room - 1), k, 1, room - 1);
                out.set(out.size() - 1, k);
                cut++;
            }
        }
        if (cut > 0) o.printf(Locale.ROOT, "%d prompts cut to %d tokens (their first token and their end) to leave --max-new-tokens %d in --seq %d%n", cut, room, maxNew, seq);
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
