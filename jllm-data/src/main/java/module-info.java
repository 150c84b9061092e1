/**
 * Corpus cleaning: normalizers, explainable filters (each with a name used in reports), exact and
 * MinHash-LSH dedup, the {@code CleanPipeline} they form as {@code CleanConfig} (presets in
 * defaults.yaml) says, a parallel resumable local runner and HTML/JSON/PNG reports. Compiled for
 * Java 17 so that jllm-spark can run the same classes inside Spark.
 */
module dev.jllm.data {
    requires com.ibm.icu;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires org.knowm.xchart;
    requires java.desktop;
    exports dev.jllm.data;
    opens dev.jllm.data to com.fasterxml.jackson.databind;
}
