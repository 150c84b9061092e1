package dev.jllm.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A preference record → {@link PreferenceRecord}. Each answer is appended to the prompt as the final
 * assistant turn and the result parsed by the SFT {@link RecordParser} (so roles, placeholders,
 * function calls and errors behave exactly as in supervised data). Shapes, told apart by fields:
 * <ul>
 * <li>LLaMA-Factory ShareGPT ranking ({@code dpo_en_demo.json}): {@code conversations} ending with a
 *     human turn, {@code chosen} and {@code rejected} as {@code {from, value}} (or plain strings),
 *     {@code system}?, {@code tools}?;</li>
 * <li>LLaMA-Factory Alpaca ranking: {@code instruction}, {@code input}?, {@code chosen}, {@code rejected} (strings);</li>
 * <li>TRL / plain: {@code prompt} (a string, or a list of {@code {role, content}} messages), {@code chosen}
 *     and {@code rejected} (strings, or lists holding the assistant message), {@code system}?;</li>
 * <li>OpenAI {@code messages} ending with a user turn, {@code chosen}/{@code rejected} as strings or {@code {role, content}}.</li>
 * </ul>
 * Optional strength columns: {@code margin}, {@code rank}, or {@code score_chosen} + {@code score_rejected}.
 */
final class PreferenceParser {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final RecordParser parser;

    PreferenceParser(Format format, Placeholders vars) {
        this.parser = new RecordParser(format == Format.AUTO ? Format.AUTO : format, vars);
    }

    PreferenceRecord parse(JsonNode rec, String file, long line, int index) {
        if (!rec.isObject()) throw new RecordError("expected a JSON object, got " + RecordParser.kind(rec));
        if (!rec.has("chosen") || !rec.has("rejected")) {
            throw new RecordError("a preference record needs 'chosen' and 'rejected' (the record has fields " + names(rec) + ")");
        }
        Conversation c = withAnswer(rec, "chosen", file, line, index), r = withAnswer(rec, "rejected", file, line, index);
        if (!c.messages().subList(0, c.messages().size() - 1).equals(r.messages().subList(0, r.messages().size() - 1))) {
            throw new RecordError("chosen and rejected must answer the same prompt");
        }
        String column = "";
        double margin = Double.NaN;
        for (String k : List.of("margin", "rank")) {
            if (rec.has(k)) {
                margin = number(rec, k);
                column = k;
                break;
            }
        }
        if (column.isEmpty() && rec.has("score_chosen") && rec.has("score_rejected")) {
            margin = number(rec, "score_chosen") - number(rec, "score_rejected");
            column = "score_chosen-score_rejected";
        }
        return new PreferenceRecord(c, r, margin, column);
    }

    private Conversation withAnswer(JsonNode rec, String which, String file, long line, int index) {
        JsonNode answer = rec.get(which);
        ObjectNode out = NODES.objectNode();
        rec.fields().forEachRemaining(e -> {
            if (!List.of("chosen", "rejected", "margin", "rank", "score_chosen", "score_rejected", "prompt").contains(e.getKey())) out.set(e.getKey(), e.getValue());
        });
        try {
            if (rec.has("conversations") || rec.has("messages") && first(rec.get("messages")).has("from")) {
                String key = rec.has("conversations") ? "conversations" : "messages";
                ArrayNode conv = array(rec, key).deepCopy();
                conv.add(answer.isTextual() ? NODES.objectNode().put("from", "gpt").put("value", answer.asText()) : object(answer, which));
                out.set(key, conv);
            } else if (rec.has("messages")) {
                ArrayNode msgs = array(rec, "messages").deepCopy();
                msgs.add(assistant(answer, which));
                out.set("messages", msgs);
            } else if (rec.has("instruction")) {
                out.put("output", answer.isTextual() ? answer.asText() : text(answer, which));
            } else if (rec.has("prompt")) {
                JsonNode p = rec.get("prompt");
                ArrayNode msgs = NODES.arrayNode();
                if (rec.has("system") && rec.get("system").isTextual()) msgs.add(NODES.objectNode().put("role", "system").put("content", rec.get("system").asText()));
                if (p.isTextual()) msgs.add(NODES.objectNode().put("role", "user").put("content", p.asText()));
                else if (p.isArray()) p.forEach(msgs::add);
                else throw new RecordError("'prompt' must be a string or a list of messages, got " + RecordParser.kind(p));
                if (answer.isArray()) answer.forEach(msgs::add);
                else msgs.add(assistant(answer, which));
                out.remove("system");
                out.set("messages", msgs);
            } else {
                throw new RecordError("cannot tell the preference format: expected 'conversations' (LLaMA-Factory), 'prompt', 'instruction' or 'messages'"
                        + " beside chosen/rejected; the record has fields " + names(rec));
            }
        } catch (RecordError e) {
            throw new RecordError(which + ": " + e.getMessage());
        }
        try {
            return parser.parse(out, file, line, index);
        } catch (RecordError e) {
            throw new RecordError("prompt + " + which + ": " + e.getMessage());
        }
    }

    private static JsonNode assistant(JsonNode answer, String which) {
        if (answer.isTextual()) return NODES.objectNode().put("role", "assistant").put("content", answer.asText());
        ObjectNode o = object(answer, which).deepCopy();
        if (o.has("from")) return NODES.objectNode().put("role", "assistant").put("content", text(o, which));
        return o;
    }

    private static String text(JsonNode answer, String which) {
        JsonNode v = answer.has("value") ? answer.get("value") : answer.get("content");
        if (v == null || !v.isTextual()) throw new RecordError("'" + which + "' must be a string or an object with a 'value' or 'content' string");
        return v.asText();
    }

    private static ObjectNode object(JsonNode n, String path) {
        if (!(n instanceof ObjectNode o)) throw new RecordError("'" + path + "' must be a string or an object, got " + RecordParser.kind(n));
        return o;
    }

    private static ArrayNode array(JsonNode rec, String key) {
        if (!(rec.get(key) instanceof ArrayNode a)) throw new RecordError("'" + key + "' must be an array");
        return a;
    }

    private static JsonNode first(JsonNode a) {
        return a != null && a.isArray() && !a.isEmpty() ? a.get(0) : NODES.objectNode();
    }

    private static double number(JsonNode rec, String k) {
        JsonNode v = rec.get(k);
        if (!v.isNumber()) throw new RecordError("'" + k + "' must be a number, got " + RecordParser.kind(v));
        return v.asDouble();
    }

    private static String names(JsonNode rec) {
        List<String> n = new ArrayList<>();
        rec.fieldNames().forEachRemaining(n::add);
        return String.join(", ", n);
    }
}
