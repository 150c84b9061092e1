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
        if (scenarios.isEmpty()) throw new IllegalArgumentException("no scenario given");
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
            List<LoadRunner.Run> runs = new ArrayList<>();
            for (int i = 0; i < scenarios.size(); i++) {
                Scenario s = scenarios.get(i);
                LoadtestConfig c = cfg.withModel(model).withScenario(s).withSeed(cfg.seed() + 1_000_003L * i);
                PromptSource prompts = new PromptSource(c.seed(), calibrated.tokensPerWord());
                log.printf(Locale.ROOT, "loadtest: %s, %s, %s, %s%n", s.wire(),
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
