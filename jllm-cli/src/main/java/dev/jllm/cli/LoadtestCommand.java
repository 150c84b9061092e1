package dev.jllm.cli;

import dev.jllm.eval.LoadRunner;
import dev.jllm.eval.Loadtest;
import dev.jllm.eval.LoadtestConfig;
import dev.jllm.eval.ResultJson;
import dev.jllm.eval.ResultPlot;
import dev.jllm.eval.ResultTable;
import dev.jllm.eval.Scenario;
import dev.jllm.eval.Slo;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm loadtest}: vLLM benchmark_serving's measurements against any OpenAI-compatible server. */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load-test an OpenAI-compatible server with streaming requests and print vLLM benchmark_serving's table:",
            "throughput, TTFT, TPOT = (E2E-TTFT)/(out-1), ITL and E2E latency (mean, median, P90, P99), goodput under SLOs,",
            "per-turn TTFT for multi-turn conversations, errors by kind. Stops by itself after --requests or --duration.",
            "Conversation KV after an eviction: --scenario stateful,stateful-evict --turns 6 --admin-key KEY --plot f.png draws TTFT per turn",
            "warm vs evicted (loaded from the server's KV disk tier); rerun stateful-evict against jllm serve --kv-disk-budget 0 with",
            "--label re-prefill --json r.json, and jllm plot --loadtest a.json --loadtest r.json --metric mean_ttft_ms --out f.png puts all three",
            "on one chart (scripts/bench-kv-disk-loadtest.sh does all of it)."})
final class LoadtestCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--url", required = true, description = "server base URL, e.g. http://127.0.0.1:8080") URI url;

    @ArgGroup(exclusive = false, multiplicity = "1", heading = "Arrivals (at least one):%n")
    Arrivals arrivals;

    static final class Arrivals {
        @Option(names = "--concurrency", description = "virtual users (closed loop); with --rate: conversations in flight at most") Integer concurrency;
        @Option(names = "--rate", description = "conversations per second, Poisson arrivals (open loop)") Double rate;
    }

    @ArgGroup(exclusive = false, multiplicity = "1", heading = "Length (at least one; whichever ends first):%n")
    Length length;

    static final class Length {
        @Option(names = "--duration", description = "seconds after which no request starts") Double seconds;
        @Option(names = "--requests", description = "requests in total (each turn is one)") Integer requests;
    }

    @Option(names = "--prompt-tokens", required = true, description = "new prompt tokens per turn (about; synthetic text)") int promptTokens;
    @Option(names = "--max-tokens", required = true, description = "generated tokens per turn at most") int maxTokens;
    @Option(names = "--range-ratio", defaultValue = "0", paramLabel = "R",
            description = "draw each request's prompt and output lengths from [len*(1-R), len*(1+R)] (vLLM's random-range-ratio; default 0)")
    double rangeRatio;
    @Option(names = "--ignore-eos", description = "ask the server to generate exactly the output length (vLLM's ignore_eos)") boolean ignoreEos;
    @Option(names = "--turns", defaultValue = "1", description = "turns per conversation (default ${DEFAULT-VALUE})") int turns;
    @Option(names = "--scenario", split = ",", defaultValue = "stateless",
            description = "stateless (chat completions, history resent), stateless-cold (the same with cache_prompt: false, so no KV reuse),"
                    + " stateful (conversations + responses), stateful-evict (stateful, and before every turn after the first the"
                    + " conversation's KV is evicted from the server's memory through jllm's POST /admin/kv/evict, as its LRU would: the"
                    + " next turn loads it from disk, or prefills again on a server without a KV disk tier; the eviction call is not"
                    + " part of the TTFT; needs --admin-key), or several: stateless,stateful")
    List<String> scenarios;
    @Option(names = "--label", split = ",", paramLabel = "NAME", description = "the runs' names in the table, --json and --plot, one per"
            + " --scenario (default: the scenario names); e.g. --scenario stateful-evict --label re-prefill against a server started"
            + " with --kv-disk-budget 0") List<String> labels;
    @Option(names = "--admin-key", paramLabel = "KEY", description = "the server's admin key (the key in jllm serve --admin-key FILE),"
            + " for --scenario stateful-evict only (default: $JLLM_ADMIN_KEY)") String adminKey;
    @Option(names = "--slo-ttft", paramLabel = "MS", description = "TTFT objective for goodput") Double sloTtft;
    @Option(names = "--slo-tpot", paramLabel = "MS", description = "TPOT objective for goodput") Double sloTpot;
    @Option(names = "--model", description = "model id (default: the first one the server lists)") String model;
    @Option(names = "--api-key", description = "bearer token (default: $OPENAI_API_KEY if set)") String apiKey;
    @Option(names = "--seed", defaultValue = "0", description = "prompts, sampling seeds and arrivals (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--request-timeout", defaultValue = "300", paramLabel = "S", description = "per request (default ${DEFAULT-VALUE})")
    double requestTimeout;
    @Option(names = "--json", paramLabel = "FILE", description = "result with vLLM's key names") Path json;
    @Option(names = "--plot", paramLabel = "FILE.png", description = "TTFT/TPOT histograms, or TTFT per turn with --turns") Path plot;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Scenario> sc = scenarios.stream().map(LoadtestCommand::scenario).distinct().toList();
        if (sc.size() != scenarios.size()) throw new IllegalArgumentException("--scenario names a scenario twice: " + String.join(",", scenarios));
        String key = apiKey != null ? apiKey : System.getenv("OPENAI_API_KEY");
        boolean evicts = sc.contains(Scenario.STATEFUL_EVICT);
        if (adminKey != null && !evicts) {
            throw new IllegalArgumentException("--admin-key is used only by --scenario stateful-evict (its eviction calls); this run has "
                    + String.join(",", scenarios));
        }
        String admin = !evicts ? null : adminKey != null ? adminKey : System.getenv("JLLM_ADMIN_KEY");
        LoadtestConfig cfg = new LoadtestConfig(url, arrivals.concurrency, arrivals.rate, seconds(length.seconds, "--duration"), length.requests,
                promptTokens, maxTokens, rangeRatio, ignoreEos, turns, sc.getFirst(), new Slo(sloTtft, sloTpot), model, key, seed,
                seconds(requestTimeout, "--request-timeout"), admin, null);
        List<LoadRunner.Run> runs = Loadtest.run(cfg, sc, labels, err);
        for (LoadRunner.Run r : runs) ResultTable.print(r, out);
        if (runs.size() > 1 && turns > 1) ResultTable.compareTurns(runs, out);
        if (json != null) ResultJson.write(runs, json);
        if (plot != null) ResultPlot.write(runs, plot);
        for (LoadRunner.Run r : runs) {
            if (r.summary().completed() == 0) {
                String top = r.summary().errors().entrySet().stream().max(Map.Entry.comparingByValue())
                        .map(e -> e.getKey() + " (" + e.getValue() + " of " + r.summary().failed() + ")").orElse("no request was sent");
                throw new java.io.IOException("no request succeeded in the " + r.config().name() + " run: " + top);
            }
        }
        return 0;
    }

    private static Scenario scenario(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "stateless" -> Scenario.STATELESS;
            case "stateless-cold" -> Scenario.STATELESS_COLD;
            case "stateful" -> Scenario.STATEFUL;
            case "stateful-evict" -> Scenario.STATEFUL_EVICT;
            default -> throw new IllegalArgumentException("--scenario must be stateless, stateless-cold, stateful or stateful-evict (or several,"
                    + " comma-separated), got '" + s + "'");
        };
    }

    private static Duration seconds(Double s, String option) {
        if (s == null) return null;
        if (!(s > 0 && s <= 1e7)) throw new IllegalArgumentException(option + " must be > 0 seconds, got " + s);
        return Duration.ofNanos((long) (s * 1e9));
    }
}
