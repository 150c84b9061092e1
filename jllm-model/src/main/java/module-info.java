/** LLaMA-family models: configuration, checkpoints, memory planning and (later) the forward pass. */
module dev.jllm.model {
    requires transitive dev.jllm.gguf;
    exports dev.jllm.model;
}
