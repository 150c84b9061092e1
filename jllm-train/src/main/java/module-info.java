/** Training LLaMA-family models on CPU: forward + explicit backward, AdamW, data shards, checkpoints, logs. */
module dev.jllm.train {
    requires transitive dev.jllm.model;
    requires jdk.incubator.vector;
    exports dev.jllm.train;
}
