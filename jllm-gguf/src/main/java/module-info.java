/** GGUF files: a validating memory-mapped reader and a symmetric writer. */
module dev.jllm.gguf {
    requires transitive dev.jllm.tensor;
    exports dev.jllm.gguf;
}
