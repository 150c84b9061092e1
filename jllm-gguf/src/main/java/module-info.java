/**
 * GGUF files: {@code GgufFile}, a validating reader memory-mapped with FFM (typed metadata values,
 * tensor infos, zero-copy tensor data), and {@code GgufWriter}, its symmetric, atomic writer.
 */
module dev.jllm.gguf {
    requires transitive dev.jllm.tensor;
    exports dev.jllm.gguf;
}
