/**
 * Serving benchmarks: {@code jllm loadtest}'s load generator (JDK HttpClient, virtual threads,
 * streaming SSE), vLLM benchmark_serving metrics (HdrHistogram), the result table, JSON and PNG.
 */
module dev.jllm.eval {
    requires java.net.http;
    requires java.desktop;
    requires jdk.management;
    requires com.fasterxml.jackson.databind;
    requires HdrHistogram;
    requires org.knowm.xchart;
    exports dev.jllm.eval;
}
