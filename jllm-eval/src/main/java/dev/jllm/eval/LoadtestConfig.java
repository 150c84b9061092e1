package dev.jllm.eval;

import java.net.URI;
import java.time.Duration;

/**
 * One load test. Arrivals: {@code concurrency} alone is a closed loop (N virtual users, each
 * starting its next conversation when the last one ends); {@code rate} is an open loop of Poisson
 * conversation arrivals, capped at {@code concurrency} conversations at once when both are given.
 * It ends when {@code requests} have been sent or {@code duration} has passed (whichever first);
 * requests in flight then finish, each bounded by {@code requestTimeout}.
 *
 * @param concurrency  virtual users (closed loop) or the cap (with a rate); null = no cap with a rate
 * @param rate         conversations per second (Poisson); null = closed loop
 * @param duration     no request starts after this; null = only the request count bounds the run
 * @param requests     requests in total (each turn is one); null = only the duration bounds the run
 * @param promptTokens new prompt tokens per turn, approximately (synthetic text sized on the server's tokenizer)
 * @param rangeRatio   vLLM's random-range-ratio: each request's prompt and output lengths are drawn uniformly from
 *                     [len·(1−r), len·(1+r)]; 0 = every request the same
 * @param ignoreEos    ask the server to generate exactly the output length (vLLM's {@code ignore_eos} extension)
 * @param model        null = the first model the server lists
 * @param adminKey     the server's admin key, for {@link Scenario#STATEFUL_EVICT}'s evictions (required there)
 * @param label        the run's name in tables, JSON and plots; null = the scenario's name
 */
public record LoadtestConfig(URI url, Integer concurrency, Double rate, Duration duration, Integer requests, int promptTokens, int maxTokens,
                             double rangeRatio, boolean ignoreEos, int turns, Scenario scenario, Slo slo, String model, String apiKey, long seed, Duration requestTimeout,
                             String adminKey, String label) {
    /** Bounds a rate-only run: conversations waiting for a slot beyond this are not started (keeps memory bounded). */
    public static final int DEFAULT_RATE_CAP = 1024;

    public LoadtestConfig {
        String scheme = url.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            throw new IllegalArgumentException("--url must be an http(s) URL such as http://127.0.0.1:8080, got '" + url + "'");
        }
        if (concurrency == null && rate == null) throw new IllegalArgumentException("give --concurrency N or --rate R");
        if (concurrency != null && concurrency < 1) throw new IllegalArgumentException("--concurrency must be >= 1, got " + concurrency);
        if (rate != null && !(rate > 0 && rate <= 1e6)) throw new IllegalArgumentException("--rate must be in (0, 1e6] per second, got " + rate);
        if (duration == null && requests == null) throw new IllegalArgumentException("give --duration S or --requests K");
        if (duration != null && (duration.isNegative() || duration.isZero())) throw new IllegalArgumentException("--duration must be > 0 s");
        if (requests != null && requests < 1) throw new IllegalArgumentException("--requests must be >= 1, got " + requests);
        if (promptTokens < 1) throw new IllegalArgumentException("--prompt-tokens must be >= 1, got " + promptTokens);
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        if (!(rangeRatio >= 0 && rangeRatio < 1)) throw new IllegalArgumentException("--range-ratio must be in [0, 1), got " + rangeRatio);
        if (turns < 1 || turns > 1000) throw new IllegalArgumentException("--turns must be in [1, 1000], got " + turns);
        if (requestTimeout.isNegative() || requestTimeout.isZero()) throw new IllegalArgumentException("--request-timeout must be > 0 s");
        if (slo == null) slo = Slo.NONE;
        if (scenario == Scenario.STATEFUL_EVICT) {
            if (adminKey == null || adminKey.isBlank()) {
                throw new IllegalArgumentException("--scenario stateful-evict evicts each conversation's KV through the server's admin endpoint"
                        + " (POST /admin/kv/evict): pass --admin-key KEY or set JLLM_ADMIN_KEY (the key in the file of jllm serve --admin-key FILE)");
            }
            if (turns < 2) throw new IllegalArgumentException("--scenario stateful-evict evicts before turns 2..N: give --turns 2 or more, got " + turns);
        }
        if (label != null && label.isBlank()) throw new IllegalArgumentException("--label must not be empty");
    }

    /** Without an admin key or label (every scenario but {@link Scenario#STATEFUL_EVICT}). */
    public LoadtestConfig(URI url, Integer concurrency, Double rate, Duration duration, Integer requests, int promptTokens, int maxTokens,
                          double rangeRatio, boolean ignoreEos, int turns, Scenario scenario, Slo slo, String model, String apiKey, long seed,
                          Duration requestTimeout) {
        this(url, concurrency, rate, duration, requests, promptTokens, maxTokens, rangeRatio, ignoreEos, turns, scenario, slo, model, apiKey, seed,
                requestTimeout, null, null);
    }

    /** The run's name: its label, else the scenario's. */
    public String name() {
        return label != null ? label : scenario.wire();
    }

    /** Conversations in flight at most. */
    public int maxConcurrency() {
        return concurrency != null ? concurrency : DEFAULT_RATE_CAP;
    }

    public LoadtestConfig withScenario(Scenario s) {
        return new LoadtestConfig(url, concurrency, rate, duration, requests, promptTokens, maxTokens, rangeRatio, ignoreEos, turns, s, slo, model, apiKey, seed,
                requestTimeout, adminKey, label);
    }

    /** The prompt and output lengths of one request: fixed, or drawn within the range ratio (same seed, same lengths). */
    public int[] lengths(int conversation, int turn) {
        if (rangeRatio == 0) return new int[] {promptTokens, maxTokens};
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed * 0x632BE59BD9B4E019L + conversation * 1_000_003L + turn);
        return new int[] {draw(r, promptTokens), draw(r, maxTokens)};
    }

    private int draw(java.util.SplittableRandom r, int len) {
        int lo = Math.max(1, (int) Math.floor(len * (1 - rangeRatio))), hi = Math.max(lo, (int) Math.ceil(len * (1 + rangeRatio)));
        return lo + r.nextInt(hi - lo + 1);
    }

    public LoadtestConfig withSeed(long s) {
        return new LoadtestConfig(url, concurrency, rate, duration, requests, promptTokens, maxTokens, rangeRatio, ignoreEos, turns, scenario, slo, model, apiKey, s,
                requestTimeout, adminKey, label);
    }

    public LoadtestConfig withLabel(String l) {
        return new LoadtestConfig(url, concurrency, rate, duration, requests, promptTokens, maxTokens, rangeRatio, ignoreEos, turns, scenario, slo, model, apiKey, seed,
                requestTimeout, adminKey, l);
    }

    public LoadtestConfig withModel(String m) {
        return new LoadtestConfig(url, concurrency, rate, duration, requests, promptTokens, maxTokens, rangeRatio, ignoreEos, turns, scenario, slo, m, apiKey, seed,
                requestTimeout, adminKey, label);
    }
}
