package dev.jllm.eval.task;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CSV layouts of MMLU (hendrycks/test: no header, question,A,B,C,D,answer), C-Eval (header
 * id,question,A,B,C,D,answer[,explanation]) and CMMLU (header ,Question,A,B,C,D,Answer), read into
 * items with the fields question, A, B, C, D, answer, subject (the file name without _test/_dev/_val)
 * and subject_name (its underscores as spaces). The default prompts are lm-evaluation-harness's for
 * these benchmarks (mmlu/default, ceval-valid, cmmlu), with the English subject name.
 */
final class CsvFormats {
    private CsvFormats() {}

    static String description(TaskSpec.Format f) {
        return switch (f) {
            case MMLU -> "The following are multiple choice questions (with answers) about {subject_name}.\n\n";
            case CEVAL -> "以下是中国关于{subject_name}考试的单项选择题，请选出其中的正确答案。\n\n";
            case CMMLU -> "以下是关于{subject_name}的单项选择题，请直接给出正确答案的选项。\n\n";
            case JSONL -> "";
        };
    }

    static String prompt(TaskSpec.Format f) {
        String options = "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n";
        return switch (f) {
            case MMLU -> options + "Answer:";
            case CEVAL, CMMLU -> options + "答案：";
            case JSONL -> null;
        };
    }

    /** All items of a CSV file, or of every *.csv in a folder (sorted by name). */
    static List<TaskItem> read(Path path, TaskSpec.Format format) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")).sorted().forEach(files::add);
            }
            if (files.isEmpty()) throw new IllegalArgumentException(path + ": no .csv files in this folder");
        } else if (Files.isRegularFile(path)) {
            files.add(path);
        } else {
            throw new IllegalArgumentException(path + ": no such file or folder");
        }
        List<TaskItem> items = new ArrayList<>();
        for (Path f : files) items.addAll(readFile(f, format));
        return items;
    }

    private static List<TaskItem> readFile(Path file, TaskSpec.Format format) throws IOException {
        String subject = subject(file);
        List<Csv.Row> rows = Csv.parse(file, Files.readString(file, StandardCharsets.UTF_8));
        int[] col = {0, 1, 2, 3, 4, 5}; // question, A, B, C, D, answer
        int start = 0;
        if (format != TaskSpec.Format.MMLU) {
            if (rows.isEmpty()) throw new IllegalArgumentException(file + ": empty file (expected a header row)");
            List<String> header = rows.getFirst().cells().stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).toList();
            String[] names = {"question", "a", "b", "c", "d", "answer"};
            for (int i = 0; i < names.length; i++) {
                col[i] = header.indexOf(names[i]);
                if (col[i] < 0) {
                    throw new IllegalArgumentException(file + ": line 1: the " + format.wire() + " header has no column '" + names[i]
                            + "' (found: " + String.join(",", rows.getFirst().cells()) + ")");
                }
            }
            start = 1;
        }
        List<TaskItem> out = new ArrayList<>();
        for (int r = start; r < rows.size(); r++) {
            Csv.Row row = rows.get(r);
            if (row.cells().size() == 1 && row.cells().getFirst().isBlank()) continue;
            Map<String, Object> fields = new LinkedHashMap<>();
            String[] names = {"question", "A", "B", "C", "D", "answer"};
            for (int i = 0; i < names.length; i++) {
                if (col[i] >= row.cells().size()) {
                    throw new IllegalArgumentException(file + ": line " + row.line() + ": field '" + names[i] + "' missing (the row has "
                            + row.cells().size() + " columns, " + format.wire() + " needs question,A,B,C,D,answer)");
                }
                String v = row.cells().get(col[i]);
                fields.put(names[i], i == 0 ? v.strip() : v);
            }
            fields.put("subject", subject);
            fields.put("subject_name", subject.replace('_', ' '));
            out.add(new TaskItem(subject + "-" + (r - start + 1), file, row.line(), fields, subject));
        }
        return out;
    }

    static String subject(Path file) {
        String n = file.getFileName().toString();
        n = n.substring(0, n.length() - 4);
        for (String suffix : new String[] {"_test", "_dev", "_val"}) {
            if (n.endsWith(suffix)) return n.substring(0, n.length() - suffix.length());
        }
        return n;
    }
}
