/** Tokenizers: encode/decode, loaders, streaming decoding, chat templates, training. */
module dev.jllm.tokenizer {
    requires transitive dev.jllm.gguf;
    exports dev.jllm.tokenizer;
}
