/**
 * Training LLaMA-family models on CPU: layers with explicit backward passes ({@code Layers}, the
 * Vector API {@code Gemm}), {@code LlamaModel}, {@code AdamW}, the {@code Trainer} loop and its
 * {@code TrainConfig}, token shards and their {@code DataLoader}, checkpoints, TensorBoard logs, and
 * {@code ModelIO} (GGUF models in and out).
 */
module dev.jllm.train {
    requires transitive dev.jllm.model;
    requires jdk.incubator.vector;
    exports dev.jllm.train;
    exports dev.jllm.train.pref;
}
