/** LLaMA-family models: configuration, checkpoints, memory planning and (later) the forward pass. */
module dev.jllm.model {
    requires transitive dev.jllm.gguf;
    requires transitive dev.jllm.tokenizer;
    exports dev.jllm.model;
}
