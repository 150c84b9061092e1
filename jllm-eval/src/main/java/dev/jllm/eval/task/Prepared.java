package dev.jllm.eval.task;

import java.util.List;

/**
 * One item made ready for the model: the full prompt (description, few-shot examples, the item's own
 * prompt) and what it is scored against.
 *
 * @param choices    multiple choice: the choice texts (scored as target_delimiter + choice); empty otherwise
 * @param gold       multiple choice: the index of the right choice; -1 otherwise
 * @param references generation: the accepted answers; empty otherwise
 */
public record Prepared(TaskItem item, String prompt, List<String> choices, int gold, List<String> references) {
    public Prepared {
        choices = List.copyOf(choices);
        references = List.copyOf(references);
    }
}
