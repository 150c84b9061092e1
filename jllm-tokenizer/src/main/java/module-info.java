/**
 * Tokenizers: encode/decode, loaders for every file form ({@code Tokenizers.open}), streaming decoding,
 * BPE training. (Chat templates are jllm-chat's.)
 */
module dev.jllm.tokenizer {
    requires transitive dev.jllm.gguf;
    exports dev.jllm.tokenizer;
}
