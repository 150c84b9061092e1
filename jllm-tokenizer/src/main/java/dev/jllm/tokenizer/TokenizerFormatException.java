package dev.jllm.tokenizer;

import java.io.IOException;

/**
 * A tokenizer definition (GGUF metadata, tokenizer.json, tiktoken or llama2.c file) is invalid or
 * uses a feature this module does not implement. The message is one line naming the file, the
 * field and the offending value, e.g.
 * {@code tokenizer.json: pre_tokenizer.pretokenizers[0].behavior 'Removed' is not supported (only 'Isolated')}.
 */
public final class TokenizerFormatException extends IOException {
    public TokenizerFormatException(String message) {
        super(message);
    }
}
