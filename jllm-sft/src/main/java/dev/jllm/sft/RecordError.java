package dev.jllm.sft;

/** What is wrong with one record, before the reader adds its file and line ({@link SftException}). */
final class RecordError extends RuntimeException {
    RecordError(String detail) {
        super(detail, null, false, false); // no stack trace: this is data validation, thrown once per bad record
    }
}
