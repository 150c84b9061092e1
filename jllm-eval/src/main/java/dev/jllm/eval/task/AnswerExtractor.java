package dev.jllm.eval.task;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Takes the answer out of a generated text ({@code extract:} in the task file) before it is scored. */
public final class AnswerExtractor {
    // A-H not inside a word: "B", "(B)", "B." or "答案：B" (no \b: Han characters are word characters to it); not I and later, or "I think" would read as a choice
    private static final Pattern LETTER = Pattern.compile("(?<![A-Za-z0-9])([A-H])(?![A-Za-z0-9])");

    private final TaskSpec.Extract mode;
    private final Pattern regex;

    public AnswerExtractor(TaskSpec.Extract mode, String regex) {
        this.mode = mode;
        this.regex = mode == TaskSpec.Extract.REGEX ? Pattern.compile(regex) : null;
    }

    public String extract(String output) {
        return switch (mode) {
            case STRIP -> output.strip();
            case FIRST_LINE -> {
                for (String line : output.split("\n")) if (!line.isBlank()) yield line.strip();
                yield "";
            }
            case CHOICE_LETTER -> {
                Matcher m = LETTER.matcher(output);
                yield m.find() ? m.group(1) : "";
            }
            case REGEX -> {
                Matcher m = regex.matcher(output);
                yield !m.find() ? "" : m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : m.group();
            }
        };
    }
}
