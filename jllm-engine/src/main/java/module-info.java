/**
 * The serving engine: everything between the model's forward pass and a client that wants tokens —
 * the {@link dev.jllm.engine.Scheduler} (continuous batching; the one owner of weights and KV cache
 * while serving), the {@link dev.jllm.engine.PrefixCache} of idle conversations, the decode
 * {@link dev.jllm.engine.Slot}, the {@link dev.jllm.engine.KvDiskStore} (conversations' KV on disk across evictions and
 * restarts), the single-sequence {@link dev.jllm.engine.Generator} (a batch of one
 * on the same slot code), and {@link dev.jllm.engine.LoadedModel}. Knows nothing of HTTP, JSON or SQL.
 */
module dev.jllm.engine {
    requires transitive dev.jllm.model;
    requires transitive dev.jllm.tokenizer;
    exports dev.jllm.engine;
}
