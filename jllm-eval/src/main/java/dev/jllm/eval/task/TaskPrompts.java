package dev.jllm.eval.task;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds each item's prompt as lm-evaluation-harness does: description, then k examples from the
 * dev split (each: prompt + target_delimiter + answer + fewshot_delimiter; for a task with categories
 * the first k of the same category, as MMLU's "first_n" sampler, else the first k), then the item's
 * prompt. Gold answers and references are checked here, so a bad item fails before the model runs.
 */
public final class TaskPrompts {
    private final TaskSpec spec;
    private final List<TaskItem> dev;

    public TaskPrompts(TaskSpec spec, List<TaskItem> dev) {
        this.spec = spec;
        this.dev = List.copyOf(dev);
        if (spec.fewshot() > dev.size() && spec.fewshot() > 0) {
            throw new IllegalArgumentException(spec.file() + ": fewshot " + spec.fewshot() + " but the dev split " + spec.dev() + " has only "
                    + dev.size() + " items");
        }
    }

    public Prepared prepare(TaskItem item) {
        StringBuilder p = new StringBuilder(Template.render(spec.description(), item, "description"));
        for (TaskItem ex : examples(item)) {
            p.append(Template.render(spec.prompt(), ex, "prompt")).append(spec.targetDelimiter()).append(target(ex))
                    .append(spec.fewshotDelimiter());
        }
        p.append(Template.render(spec.prompt(), item, "prompt"));
        if (spec.type() == TaskSpec.Type.MULTIPLE_CHOICE) {
            List<String> choices = choices(item);
            return new Prepared(item, p.toString(), choices, gold(item, choices), List.of());
        }
        return new Prepared(item, p.toString(), List.of(), -1, references(item));
    }

    private List<TaskItem> examples(TaskItem item) {
        int k = spec.fewshot();
        if (k == 0) return List.of();
        List<TaskItem> out = new ArrayList<>();
        if (item.category() != null) {
            for (TaskItem d : dev) if (out.size() < k && item.category().equals(d.category()) && !sameItem(d, item)) out.add(d);
            if (!out.isEmpty() && out.size() < k) {
                throw new IllegalArgumentException(spec.dev() + ": category '" + item.category() + "' has only " + out.size() + " examples, fewshot is " + k);
            }
            if (out.size() == k) return out;
            out.clear();
        }
        for (TaskItem d : dev) if (out.size() < k && !sameItem(d, item)) out.add(d);
        if (out.size() < k) throw new IllegalArgumentException(spec.dev() + ": only " + out.size() + " examples other than " + item.id() + ", fewshot is " + k);
        return out;
    }

    private static boolean sameItem(TaskItem a, TaskItem b) {
        return a.file().equals(b.file()) && a.line() == b.line();
    }

    /** The answer an example shows: the gold choice, or the target template (a list answer: its first entry). */
    private String target(TaskItem ex) {
        if (spec.type() == TaskSpec.Type.MULTIPLE_CHOICE) {
            List<String> c = choices(ex);
            return c.get(gold(ex, c));
        }
        if (spec.target().equals("{" + spec.answerField() + "}")) return references(ex).getFirst();
        return Template.render(spec.target(), ex, "target");
    }

    private List<String> choices(TaskItem item) {
        if (spec.choices() != null) {
            List<String> out = new ArrayList<>();
            for (String t : spec.choices()) out.add(Template.render(t, item, "choices"));
            return out;
        }
        Object v = item.fields().get(spec.choicesField());
        if (!(v instanceof List<?> l) || l.isEmpty()) {
            throw new IllegalArgumentException(item.where() + ": field '" + spec.choicesField() + "' (choices_field) must be a non-empty list of strings"
                    + (v == null ? ", but it is missing" : ", got '" + TaskData.clip(String.valueOf(v)) + "'"));
        }
        return l.stream().map(Object::toString).toList();
    }

    /** The gold index from the answer field: a 0-based index (a number, or digits as text), a choice's exact text, or a letter A, B, ... (either case) */
    private int gold(TaskItem item, List<String> choices) {
        String f = spec.answerField();
        Object v = item.fields().get(f);
        if (v == null) throw new IllegalArgumentException(item.where() + ": field '" + f + "' (answer) missing (fields: " + String.join(", ", item.fields().keySet()) + ")");
        if (v instanceof Long n) {
            if (n < 0 || n >= choices.size()) throw new IllegalArgumentException(item.where() + ": field '" + f + "': index " + n + " outside 0.." + (choices.size() - 1));
            return n.intValue();
        }
        String s = v.toString();
        int exact = choices.indexOf(s);
        if (exact >= 0) return exact;
        String t = s.strip().toUpperCase(java.util.Locale.ROOT);
        if (t.length() == 1 && t.charAt(0) >= 'A' && t.charAt(0) < 'A' + choices.size()) return t.charAt(0) - 'A';
        if (t.matches("[0-9]{1,6}") && Integer.parseInt(t) < choices.size()) return Integer.parseInt(t); // an index written as text
        throw new IllegalArgumentException(item.where() + ": field '" + f + "': '" + TaskData.clip(s) + "' is neither a choice, a letter A-"
                + (char) ('A' + choices.size() - 1) + " nor an index 0-" + (choices.size() - 1));
    }

    private List<String> references(TaskItem item) {
        String f = spec.answerField();
        Object v = item.fields().get(f);
        if (v == null) throw new IllegalArgumentException(item.where() + ": field '" + f + "' (answer) missing (fields: " + String.join(", ", item.fields().keySet()) + ")");
        List<String> refs = v instanceof List<?> l ? l.stream().map(Object::toString).toList() : List.of(v.toString());
        if (refs.isEmpty()) throw new IllegalArgumentException(item.where() + ": field '" + f + "' (answer) is an empty list");
        return refs;
    }
}
