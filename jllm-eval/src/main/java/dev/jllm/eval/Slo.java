package dev.jllm.eval;

/**
 * Service-level objectives for goodput, in milliseconds; null = not constrained. A request is
 * "good" when it succeeded and meets every given objective (vLLM's rule: TPOT counts as 0 for
 * requests with a single output token).
 */
public record Slo(Double ttftMs, Double tpotMs) {
    public static final Slo NONE = new Slo(null, null);

    public Slo {
        if (ttftMs != null && !(ttftMs > 0)) throw new IllegalArgumentException("--slo-ttft must be > 0 ms, got " + ttftMs);
        if (tpotMs != null && !(tpotMs > 0)) throw new IllegalArgumentException("--slo-tpot must be > 0 ms, got " + tpotMs);
    }

    public boolean any() {
        return ttftMs != null || tpotMs != null;
    }

    boolean met(RequestResult r) {
        if (!r.success()) return false;
        if (ttftMs != null && r.ttftNanos() / 1e6 > ttftMs) return false;
        double tpot = r.outputTokens() > 1 ? r.tpotNanos() / 1e6 : 0;
        return tpotMs == null || tpot <= tpotMs;
    }
}
