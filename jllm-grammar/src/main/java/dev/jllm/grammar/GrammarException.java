package dev.jllm.grammar;

/** A grammar or schema that cannot be used; the message names the place (line/column, schema path or keyword) and what to change. */
public class GrammarException extends IllegalArgumentException {
    public GrammarException(String message) {
        super(message);
    }
}
