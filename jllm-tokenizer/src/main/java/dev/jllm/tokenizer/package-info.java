/** Tokenizers: encode/decode text to token ids for LLaMA-family and GPT-style vocabularies. */
package dev.jllm.tokenizer;
