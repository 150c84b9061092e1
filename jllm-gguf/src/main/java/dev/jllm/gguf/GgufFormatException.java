package dev.jllm.gguf;

import java.io.IOException;

/**
 * A file is not a valid GGUF (or llama2.c) file. The message names the file, the byte offset and,
 * where one is involved, the metadata key or tensor name, so a user can see what is wrong.
 */
public final class GgufFormatException extends IOException {
    private final long offset;

    public GgufFormatException(String message, long offset) {
        super(message);
        this.offset = offset;
    }

    /** Byte offset in the file where the problem was found, or -1. */
    public long offset() {
        return offset;
    }
}
