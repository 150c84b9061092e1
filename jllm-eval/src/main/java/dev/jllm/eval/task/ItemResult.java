package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What the model did on one item, as written to items.jsonl (one line per finished item, which is
 * what a resumed run skips) and results.json. Doubles are written with Java's shortest round-trip
 * form, so a resumed run scores exactly the numbers the first run computed.
 *
 * @param output         generation: the model's text; multiple choice: the chosen choice
 * @param answer         generation: the extracted answer that is scored; multiple choice: the chosen choice (acc)
 * @param logLikelihoods multiple choice: per choice; empty otherwise
 * @param choiceTokens   multiple choice: per choice, its token count
 * @param truncated      context tokens dropped to fit the model (the most over the choices)
 * @param error          null when the target answered; else why it refused the item (scored wrong: empty output, no choice)
 */
public record ItemResult(String id, String category, String prompt, String output, String answer, List<String> references,
                         List<String> choices, int gold, double[] logLikelihoods, int[] choiceTokens, int truncated, double seconds,
                         String error) {
    public ItemResult {
        references = List.copyOf(references);
        choices = List.copyOf(choices);
        logLikelihoods = logLikelihoods.clone();
        choiceTokens = choiceTokens.clone();
    }

    ObjectNode toJson(ObjectMapper om) {
        ObjectNode o = om.createObjectNode().put("id", id);
        if (category != null) o.put("category", category);
        o.put("prompt", prompt).put("output", output).put("answer", answer);
        if (!choices.isEmpty()) {
            strings(o.putArray("choices"), choices);
            o.put("gold", gold);
            ArrayNode ll = o.putArray("loglikelihoods");
            for (double v : logLikelihoods) ll.add(v);
            ArrayNode ct = o.putArray("choice_tokens");
            for (int v : choiceTokens) ct.add(v);
        } else {
            strings(o.putArray("references"), references);
        }
        o.put("truncated_tokens", truncated).put("seconds", seconds);
        if (error != null) o.put("error", error);
        return o;
    }

    static ItemResult fromJson(JsonNode o) {
        List<String> choices = texts(o.path("choices")), refs = texts(o.path("references"));
        double[] ll = new double[o.path("loglikelihoods").size()];
        for (int i = 0; i < ll.length; i++) ll[i] = o.path("loglikelihoods").get(i).asDouble();
        int[] ct = new int[o.path("choice_tokens").size()];
        for (int i = 0; i < ct.length; i++) ct[i] = o.path("choice_tokens").get(i).asInt();
        JsonNode cat = o.get("category");
        return new ItemResult(o.path("id").asText(), cat == null || cat.isNull() ? null : cat.asText(), o.path("prompt").asText(),
                o.path("output").asText(), o.path("answer").asText(), refs, choices, o.path("gold").asInt(-1), ll, ct,
                o.path("truncated_tokens").asInt(), o.path("seconds").asDouble(), o.hasNonNull("error") ? o.get("error").asText() : null);
    }

    private static void strings(ArrayNode a, List<String> s) {
        s.forEach(a::add);
    }

    private static List<String> texts(JsonNode a) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : a) out.add(n.asText());
        return out;
    }
}
