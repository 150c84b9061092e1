package dev.jllm.sft;

/**
 * A bad record or file: the message starts with {@code FILE:LINE:} (the line of the record's first
 * character; for a JSON array the line where the object's '{' is) and says what is wrong, naming the
 * field by its JSON path ({@code messages[2].role}).
 */
public final class SftException extends RuntimeException {
    private final String file;
    private final long line;
    private final String detail;

    public SftException(String file, long line, String detail) {
        super(file + (line > 0 ? ":" + line : "") + ": " + detail);
        this.file = file;
        this.line = line;
        this.detail = detail;
    }

    /** The file as the caller named it. */
    public String file() {
        return file;
    }

    /** 1-based line of the record, or 0 when the error is about the whole file. */
    public long line() {
        return line;
    }

    /** What is wrong, without the file and line. */
    public String detail() {
        return detail;
    }
}
