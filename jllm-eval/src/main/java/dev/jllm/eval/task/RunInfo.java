package dev.jllm.eval.task;

import dev.jllm.eval.metrics.Bootstrap;
import java.util.Map;

/**
 * What results.json's summary records about a run besides its scores: the target (model file and
 * SHA-256, adapters, or the URL), the sampling, when, with which jllm, and the bootstrap settings.
 */
public record RunInfo(Map<String, Object> target, EvalTarget.Sampling sampling, String date, String jllmVersion, Bootstrap.Config bootstrap) {
    public RunInfo {
        target = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(target)); // keeps the target's key order
    }
}
