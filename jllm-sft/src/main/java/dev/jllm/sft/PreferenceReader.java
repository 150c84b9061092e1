package dev.jllm.sft;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads preference data (see {@link PreferenceParser} for the shapes): JSONL or a JSON array,
 * gzip or not, every problem an {@link SftException} naming file and line, {@code skipBad} counting
 * bad records instead — the same reader discipline as {@link SftReader}.
 */
public final class PreferenceReader {
    private PreferenceReader() {}

    public record Result(List<PreferenceRecord> records, int badRecords, List<String> errors) {
        public Result {
            records = List.copyOf(records);
            errors = List.copyOf(errors);
        }
    }

    public static Result read(Path file, SftReader.Options options) throws IOException {
        PreferenceParser parser = new PreferenceParser(options.format(), new Placeholders(options.variables()));
        SftReader.Run<PreferenceRecord> run = new SftReader.Run<>(file.toString(), options, parser::parse);
        run.read(file);
        return new Result(run.out, run.bad, run.errors);
    }
}
