package dev.jllm.sft.synth;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * One generated dialogue: OpenAI chat messages ending with the assistant's answer, and what an
 * evaluation needs to score it.
 *
 * @param id          {@code SPLIT-SEED-INDEX}
 * @param type        the fact type: name, number, place, preference, plan, date, code, address
 * @param script      for names, the script they are written in (latin, cyrillic, …); else null
 * @param answer      the fact the final answer must contain, verbatim
 * @param replaced    with a correction, the value it replaced (the wrong answer); else null
 * @param factTurn    the user turn (1-based) that states the fact
 * @param distractors unrelated turns between the fact (or its correction) and the question
 * @param facts       the facts asked, in the order the questions come (the last is {@code answer}); one unless generated with several
 */
public record Dialogue(String id, Lang lang, Split split, String type, String script, String answer, String replaced, int factTurn,
                       int distractors, List<Message> messages, List<String> facts) {
    /** One chat message. */
    public record Message(String role, String content) {}

    public Dialogue {
        messages = List.copyOf(messages);
        facts = List.copyOf(facts);
        if (facts.isEmpty() || !facts.getLast().equals(answer)) throw new IllegalArgumentException("the last fact asked must be the answer");
    }

    public boolean corrected() {
        return replaced != null;
    }

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * One JSONL line: {@code {"messages": [...], "meta": {...}}}. jllm-sft's reader takes the
     * {@code messages} and ignores other top-level fields, so {@code meta} rides along for evaluation.
     */
    public String toJson() {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeArrayFieldStart("messages");
            for (Message m : messages) {
                g.writeStartObject();
                g.writeStringField("role", m.role());
                g.writeStringField("content", m.content());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("meta");
            g.writeStringField("id", id);
            g.writeStringField("lang", lang.id());
            g.writeStringField("split", split.id());
            g.writeStringField("type", type);
            if (script != null) g.writeStringField("script", script);
            g.writeStringField("answer", answer);
            g.writeNumberField("fact_turn", factTurn);
            g.writeNumberField("distractors", distractors);
            g.writeBooleanField("correction", replaced != null);
            if (replaced != null) g.writeStringField("replaced", replaced);
            if (facts.size() > 1) {
                g.writeArrayFieldStart("facts");
                for (String f : facts) g.writeString(f);
                g.writeEndArray();
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }
}
