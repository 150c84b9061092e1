/**
 * Tokenizers: text ↔ token ids for LLaMA-family (SentencePiece BPE) and GPT-style (byte-level BPE)
 * vocabularies, with no third-party dependencies.
 *
 * <p>Entry point: {@link dev.jllm.tokenizer.Tokenizers#open(java.nio.file.Path)} takes any form below and
 * tells which by the path. The loaders behind it: {@link dev.jllm.tokenizer.GgufTokenizerLoader} (from a model file),
 * {@link dev.jllm.tokenizer.TokenizerJsonLoader} (HF tokenizer.json),
 * {@link dev.jllm.tokenizer.Gpt2FilesLoader} (vocab.json + merges.txt),
 * {@link dev.jllm.tokenizer.TiktokenLoader} (OpenAI rank files),
 * {@link dev.jllm.tokenizer.Llama2cTokenizerLoader} (llama2.c tokenizer.bin). All give a
 * {@link dev.jllm.tokenizer.Tokenizer}; {@link dev.jllm.tokenizer.StreamingDecoder} turns generated ids into
 * text without splitting UTF-8 characters. {@link dev.jllm.tokenizer.BpeTrainer} learns a new
 * byte-level vocabulary and writes it as tokenizer.json or GGUF metadata.
 *
 * <p>Bad input: invalid text never throws — lone surrogates and invalid UTF-8 become U+FFFD (see
 * {@code Utf16}); invalid tokenizer files throw {@link dev.jllm.tokenizer.TokenizerFormatException}
 * naming the file and the field; unknown pre-tokenizer names list the supported ones.
 *
 * <pre>{@code
 * try (GgufFile f = GgufFile.open(Path.of("stories260K.gguf"))) {
 *     Tokenizer tok = GgufTokenizerLoader.load(f);
 *     int[] prompt = tok.encode("Once upon a time", true, false); // [1, 403, 407, 261, 378]
 *     StreamingDecoder out = new StreamingDecoder(tok);
 *     // for each generated id: System.out.print(out.accept(id)); stop when tok.isEog(id)
 * }
 * }</pre>
 */
package dev.jllm.tokenizer;
