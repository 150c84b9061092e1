/**
 * Serving benchmarks: {@code jllm loadtest}'s load generator (JDK HttpClient, virtual threads,
 * streaming SSE) running multi-turn conversations per {@code Scenario} (stateless resend, with or
 * without server-side caching, or server-stored conversations) on synthetic prompts sized with the
 * server's tokenizer; vLLM benchmark_serving metrics (HdrHistogram) with SLO goodput; the result
 * table, JSON and PNG. {@code dev.jllm.eval.metrics}: quality metrics equal to their reference
 * implementations (sacreBLEU BLEU/chrF, rouge-score, SQuAD and CMRC 2018 EM/F1, lm-evaluation-harness
 * multiple choice, length compliance) and their statistics (bootstrap CIs, paired tests, sample sizes).
 * {@code dev.jllm.eval.task}: {@code jllm eval run}'s tasks (YAML + JSONL or MMLU/C-Eval/CMMLU CSV), prompts,
 * the runner with resumption, scores with CIs, results.json and report.html, on any {@code EvalTarget}.
 */
module dev.jllm.eval {
    requires java.net.http;
    requires java.desktop;
    requires jdk.management;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires HdrHistogram;
    requires org.knowm.xchart;
    exports dev.jllm.eval;
    exports dev.jllm.eval.metrics;
    exports dev.jllm.eval.task;
}
