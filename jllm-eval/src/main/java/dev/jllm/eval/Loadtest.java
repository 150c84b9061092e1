package dev.jllm.eval;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code jllm loadtest} end to end: checks the server (reachable, key accepted, model served),
 * sizes the prompts on its tokenizer, then runs the scenarios one after the other with prompts of
 * the same sizes but different text: identical text would let the second scenario hit the server's
 * prefix cache with the first one's KV and look faster than it is.
 */
public final class Loadtest {
    private Loadtest() {}

    /** @param log setup lines and progress (stderr in the CLI) */
    public static List<LoadRunner.Run> run(LoadtestConfig cfg, List<Scenario> scenarios, PrintWriter log) throws IOException, InterruptedException {
        return run(cfg, scenarios, null, log);
    }

    /**
     * @param labels the runs' names, one per scenario (null: the scenarios' names), so runs of separate
     *               invocations can be told apart in JSON and plots (e.g. stateful-evict against a server
     *               without a KV disk tier, named "re-prefill")
     */
    public static List<LoadRunner.Run> run(LoadtestConfig cfg, List<Scenario> scenarios, List<String> labels, PrintWriter log)
            throws IOException, InterruptedException {
        if (scenarios.isEmpty()) throw new IllegalArgumentException("no scenario given");
        if (labels != null && labels.size() != scenarios.size()) {
            throw new IllegalArgumentException("--label names the runs, one per --scenario: got " + labels.size() + " labels for " + scenarios.size()
                    + " scenarios");
        }
        List<LoadtestConfig> configs = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < scenarios.size(); i++) { // every scenario's options checked before the server is contacted
            LoadtestConfig c = cfg.withScenario(scenarios.get(i)).withLabel(labels == null ? null : labels.get(i)).withSeed(cfg.seed() + 1_000_003L * i);
            if (!names.add(c.name())) throw new IllegalArgumentException("two runs are named '" + c.name() + "': give each --scenario its own --label");
            configs.add(c);
        }
        try (OpenAiTarget target = new OpenAiTarget(cfg.url(), cfg.apiKey(), cfg.requestTimeout())) {
            List<String> models = target.models();
            String model = cfg.model();
            if (model == null) {
                model = models.getFirst();
            } else if (!models.contains(model)) {
                throw new IllegalArgumentException("model '" + model + "' is not served at " + target.base() + "; it serves " + String.join(", ", models));
            }
            PromptSource calibrated = PromptSource.calibrate(target, model, cfg.seed());
            log.printf(Locale.ROOT, "loadtest: %s at %s; prompts of ~%d tokens = %d words (%.2f tokens/word on the server's tokenizer)%n", model,
                    target.base(), cfg.promptTokens(), calibrated.wordsFor(cfg.promptTokens()), calibrated.tokensPerWord());
            log.flush();
            if (scenarios.contains(Scenario.STATEFUL_EVICT)) {
                // the admin key and endpoint checked once before the runs, rather than failing every conversation's second turn
                com.fasterxml.jackson.databind.JsonNode kv = target.kvStatus(cfg.adminKey());
                com.fasterxml.jackson.databind.JsonNode d = kv.path("disk");
                log.println(d.isObject()
                        ? String.format(Locale.ROOT, "loadtest: stateful-evict: the server has a KV disk tier (%s, budget %.0f MiB): evicted"
                                + " conversations are loaded from disk on their next turn", d.path("directory").asText(), d.path("budget_bytes").asDouble() / (1 << 20))
                        : "loadtest: stateful-evict: the server has no KV disk tier (--kv-disk-budget 0): evicted conversations are prefilled again on"
                                + " their next turn");
                log.flush();
            }
            List<LoadRunner.Run> runs = new ArrayList<>();
            for (int i = 0; i < scenarios.size(); i++) {
                LoadtestConfig c = configs.get(i).withModel(model);
                PromptSource prompts = new PromptSource(c.seed(), calibrated.tokensPerWord());
                log.printf(Locale.ROOT, "loadtest: %s, %s, %s, %s%n", c.name() + (c.label() != null ? " (" + c.scenario().wire() + ")" : ""),
                        c.rate() != null ? "Poisson " + c.rate() + " conv/s" + (c.concurrency() != null ? " (cap " + c.concurrency() + ")" : "")
                                : c.concurrency() + " virtual users",
                        c.requests() != null ? c.requests() + " requests" : "no request limit",
                        c.duration() != null ? c.duration().toSeconds() + " s at most" : "no time limit");
                log.flush();
                runs.add(new LoadRunner(c, target, prompts, log).run());
            }
            return runs;
        }
    }
}
