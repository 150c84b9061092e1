package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.data.InputFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The documents of a corpus file, as {@code jllm tokenize-corpus} and {@code jllm tokenizer train}
 * read them: a text file (.txt, anything not JSONL) is one document or, with a separator, several;
 * a JSONL file (.jsonl/.ndjson, also .gz — what {@code jllm clean} writes) is one document per line,
 * taken from its text field (a string), or from a chat record's {@code messages} list. So the chain clean → tokenizer → shards needs no conversion step.
 */
final class CorpusDocuments {
    private CorpusDocuments() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    static boolean isJsonl(Path p) {
        return InputFiles.isJsonl(p, "auto");
    }

    /** Directories expand to their text/JSONL files (sorted), as {@code jllm clean} takes them. */
    static List<Path> expand(List<Path> inputs) throws IOException {
        return InputFiles.expand(inputs);
    }

    /**
     * A chat record's messages as one text, "role\ncontent" per message, so that chat data (e.g.
     * {@code --text-field messages}) trains a tokenizer on what the chat template will wrap; null
     * when an entry is not a {role, content} object.
     */
    private static String messages(JsonNode list) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode m : list) {
            JsonNode role = m.get("role"), content = m.get("content");
            if (role == null || !role.isTextual() || content == null || !content.isTextual()) return null;
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(role.asText()).append('\n').append(content.asText());
        }
        return sb.toString();
    }

    /**
     * The documents of {@code file}: JSONL lines' {@code textField} (a line without it, or not an
     * object, is an error naming file and line; blank lines are skipped), else the text split at
     * {@code separator} (null: the whole file), blank parts dropped.
     */
    static List<String> read(Path file, String textField, String separator) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        List<String> docs = new ArrayList<>();
        if (isJsonl(file)) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(InputFiles.open(file, new InputFiles.Counting[1]), StandardCharsets.UTF_8))) {
                String line;
                int n = 0;
                while ((line = r.readLine()) != null) {
                    n++;
                    if (line.isBlank()) continue;
                    JsonNode node;
                    try {
                        node = JSON.readTree(line);
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        throw new IllegalArgumentException(file + ": line " + n + " is not JSON (" + e.getOriginalMessage() + ")");
                    }
                    JsonNode t = node == null ? null : node.get(textField);
                    if (t == null && node != null && node.path("messages").isArray()) t = node.get("messages"); // a chat record
                    String text = t == null ? null : t.isTextual() ? t.asText() : t.isArray() ? messages(t) : null;
                    if (text == null) {
                        throw new IllegalArgumentException(file + ": line " + n + " has no string field '" + textField
                                + "' (nor a list of {role, content} messages there); name the field with --text-field");
                    }
                    if (!text.isBlank()) docs.add(text);
                }
            }
            return docs;
        }
        String text = EvalFiles.text(file);
        if (separator == null) {
            if (!text.isBlank()) docs.add(text);
        } else {
            for (String d : text.split(Pattern.quote(separator))) if (!d.isBlank()) docs.add(d.strip());
        }
        return docs;
    }
}
