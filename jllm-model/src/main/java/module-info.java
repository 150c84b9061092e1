/**
 * LLaMA-family inference: {@code ModelConfig} (with its RoPE settings), model files (GGUF or llama2.c
 * checkpoint) and their {@code Weights}, the forward pass ({@code Transformer.forward} over a
 * {@code Batch} of sequences; {@code ChunkAttention} tiles for prefill, {@code DecodeAttention} position
 * splits for decode, beside the reference {@code Attention}),
 * the paged {@code KvCacheManager}, {@code Matmul}, {@code Sampler}, {@code Perplexity}, memory
 * planning, and the tools that write models ({@code Quantizer}, {@code RandomModel}, the llama2.c
 * converter).
 */
module dev.jllm.model {
    requires transitive dev.jllm.gguf;
    exports dev.jllm.model;
}
