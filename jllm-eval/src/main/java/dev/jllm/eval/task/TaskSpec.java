package dev.jllm.eval.task;

import dev.jllm.eval.metrics.TextMetric;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One evaluation task as its YAML file describes it (see {@link TaskSpecReader} for the keys and
 * docs/EVALUATION.md for their meaning), validated and with every default filled in, so the runner
 * never has to guess. Paths are resolved against the YAML file's folder.
 *
 * @param file             the YAML file (for messages)
 * @param data             the items: a JSONL file, or for the CSV formats a CSV file or a folder of them
 * @param dev              few-shot examples (same format as {@code data}), or null
 * @param choices          multiple choice: the choice templates (e.g. A, B, C, D), or null when {@code choicesField} is set
 * @param choicesField     multiple choice: an item field holding the list of choice texts, or null
 * @param answerField      the gold field: a choice index, letter or text (multiple choice), a string or list of strings (generation)
 * @param idField          the item id field, or null for "line N" / the CSV's subject-row
 * @param categoryField    the field per-category scores group by, or null
 * @param regex            for {@code extract: regex}: the pattern (group 1 if it has one, else the whole match)
 * @param lengthLimit      for the {@code length} metric: the budget in code points, or -1
 * @param text             perplexity: the text file
 * @param ctx              perplexity: tokens per chunk
 */
public record TaskSpec(Path file, String name, Type type, Format format, Path data, Path dev, int fewshot, String description,
                       String prompt, String target, List<String> choices, String choicesField, String answerField, String idField,
                       String categoryField, List<String> metrics, TextMetric.Lang lang, Extract extract, String regex, int maxTokens,
                       List<String> stop, int lengthLimit, String targetDelimiter, String fewshotDelimiter, Path text, int ctx) {

    /** What the model is asked to do. */
    public enum Type {
        MULTIPLE_CHOICE, GENERATE, PERPLEXITY;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How {@code data} and {@code dev} are laid out. */
    public enum Format {
        /** One JSON object per line. */
        JSONL,
        /** MMLU (hendrycks/test): no header; question,A,B,C,D,answer; files SUBJECT_test.csv / SUBJECT_dev.csv. */
        MMLU,
        /** C-Eval: header id,question,A,B,C,D,answer[,explanation]; files SUBJECT_val.csv / SUBJECT_dev.csv. */
        CEVAL,
        /** CMMLU: header ,Question,A,B,C,D,Answer; files SUBJECT.csv in test/ and dev/. */
        CMMLU;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How the answer is taken out of a generated text before scoring. */
    public enum Extract {
        /** Leading and trailing whitespace removed. */
        STRIP,
        /** The first non-blank line, stripped. */
        FIRST_LINE,
        /** The first letter A–H standing alone (as in "B", "(B)", "B." or "答案：B"; not the "I" of "I think"). */
        CHOICE_LETTER,
        /** The first match of {@code regex}: its group 1 if it has groups, else the whole match. */
        REGEX;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The metrics each type knows; {@code length} needs {@code length_limit}. */
    public static final List<String> MC_METRICS = List.of("acc", "acc_norm");
    public static final List<String> GEN_METRICS = List.of("exact", "f1", "bleu", "chrf", "chrf++", "rouge-1", "rouge-2", "rouge-l", "length");

    public TaskSpec {
        if (name == null || name.isBlank()) throw new IllegalArgumentException(file + ": the task needs a name");
        if (fewshot < 0) throw new IllegalArgumentException(file + ": fewshot must be >= 0, got " + fewshot);
        if (fewshot > 0 && dev == null) throw new IllegalArgumentException(file + ": fewshot " + fewshot + " needs a dev split (dev: FILE)");
        metrics = List.copyOf(metrics);
        stop = List.copyOf(stop);
        if (choices != null) choices = List.copyOf(choices);
    }
}
