package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.Logprobs;
import dev.jllm.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The request fields that ask for log-probabilities and the two shapes they come back in. The
 * numbers are the engine's ({@link Logprobs}: the raw model's log-softmax, before temperature,
 * penalties, logit bias or a token mask); this class only names and shapes them.
 *
 * <ul>
 *   <li>chat completions and Responses: {@code [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}
 *       (Responses: in each {@code output_text} part when {@code include} has {@code message.output_text.logprobs})</li>
 *   <li>completions (the legacy shape lm-evaluation-harness reads): {@code {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}},
 *       with {@code echo} the prompt's tokens first (the first one's logprob and top are null)</li>
 * </ul>
 * A token's text is its bytes as UTF-8; a token that holds part of a character shows U+FFFD there
 * and its exact bytes in {@code bytes}.
 */
final class LogprobsJson {
    private LogprobsJson() {}

    /** Chat completions: {@code logprobs} (boolean) and {@code top_logprobs} (0..20, only with logprobs); null when not asked. */
    static Logprobs.Request chat(ObjectNode body) {
        boolean on = Boolean.TRUE.equals(Fields.optBool(body, "logprobs", null));
        Integer top = Fields.optInt(body, "top_logprobs", null, 0, Logprobs.MAX_TOP);
        if (top != null && top > 0 && !on) {
            throw ApiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true (it says how many alternatives to return per token)");
        }
        return on ? new Logprobs.Request(top == null ? 0 : top, false) : null;
    }

    /** Completions: {@code logprobs} (an integer 0..20: alternatives per token) and {@code echo}; null when not asked. */
    static Logprobs.Request completions(ObjectNode body, boolean echo) {
        JsonNode n = body.get("logprobs");
        if (n != null && n.isBoolean()) {
            throw ApiException.invalid("logprobs", "'logprobs' in /v1/completions is the number of alternatives per token (0.." + Logprobs.MAX_TOP
                    + "), not a boolean; send 0 for the chosen tokens only");
        }
        Integer top = Fields.optInt(body, "logprobs", null, 0, Logprobs.MAX_TOP);
        return top == null ? null : new Logprobs.Request(top, echo);
    }

    /** Responses: {@code include: ["message.output_text.logprobs"]} and {@code top_logprobs}; null when not asked. */
    static Logprobs.Request responses(ObjectNode body) {
        ArrayNode include = Fields.optArray(body, "include", null);
        boolean on = false;
        if (include != null) {
            for (int i = 0; i < include.size(); i++) {
                JsonNode v = include.get(i);
                if (v.isTextual() && v.asText().equals("message.output_text.logprobs")) {
                    on = true;
                } else {
                    throw ApiException.invalid("include", "'include[" + i + "]' " + (v.isTextual() ? "\"" + v.asText() + "\"" : Fields.kind(v))
                            + " is not supported; jllm can include only \"message.output_text.logprobs\"");
                }
            }
        }
        Integer top = Fields.optInt(body, "top_logprobs", null, 0, Logprobs.MAX_TOP);
        if (top != null && top > 0 && !on) {
            throw ApiException.invalid("top_logprobs", "'top_logprobs' needs include: [\"message.output_text.logprobs\"]");
        }
        return on ? new Logprobs.Request(top == null ? 0 : top, false) : null;
    }

    static String text(Tokenizer tok, int id) {
        return new String(tok.tokenBytes(id), StandardCharsets.UTF_8);
    }

    private static ObjectNode entry(Tokenizer tok, int id, double logprob) {
        ObjectNode o = HttpIo.JSON.createObjectNode();
        o.put("token", text(tok, id));
        o.put("logprob", logprob);
        ArrayNode bytes = o.putArray("bytes");
        for (byte b : tok.tokenBytes(id)) bytes.add(b & 0xFF);
        return o;
    }

    /** Chat/Responses entries for these tokens. */
    static ArrayNode content(Tokenizer tok, List<Logprobs.Token> tokens) {
        ArrayNode a = HttpIo.JSON.createArrayNode();
        for (Logprobs.Token t : tokens) {
            ObjectNode o = entry(tok, t.id(), t.logprob());
            ArrayNode top = o.putArray("top_logprobs");
            int[] ids = t.topIds();
            double[] lps = t.topLogprobs();
            for (int i = 0; i < ids.length; i++) top.add(entry(tok, ids[i], lps[i]));
            a.add(o);
        }
        return a;
    }

    /** A chat choice's {@code logprobs} object. */
    static ObjectNode chatChoice(Tokenizer tok, List<Logprobs.Token> tokens) {
        ObjectNode o = HttpIo.JSON.createObjectNode();
        o.set("content", content(tok, tokens));
        o.putNull("refusal");
        return o;
    }

    /**
     * The legacy completions object for these tokens; a null entry (the prompt's first token) has no
     * logprob and no alternatives. Offsets count code points from {@code offset} along the token strings (vLLM's rule;
     * a control token such as BOS counts with its text).
     */
    static ObjectNode legacy(Tokenizer tok, List<Logprobs.Token> tokens, List<Integer> ids, int offset) {
        ObjectNode o = HttpIo.JSON.createObjectNode();
        ArrayNode toks = o.putArray("tokens"), lps = o.putArray("token_logprobs"), tops = o.putArray("top_logprobs"), offs = o.putArray("text_offset");
        for (int i = 0; i < ids.size(); i++) {
            Logprobs.Token t = tokens.get(i);
            String s = text(tok, ids.get(i));
            toks.add(s);
            offs.add(offset);
            offset += s.codePointCount(0, s.length());
            if (t == null) {
                lps.addNull();
                tops.addNull();
                continue;
            }
            lps.add(t.logprob());
            ObjectNode top = tops.addObject();
            int[] tid = t.topIds();
            double[] tlp = t.topLogprobs();
            for (int k = 0; k < tid.length; k++) if (!top.has(text(tok, tid[k]))) top.put(text(tok, tid[k]), tlp[k]);
        }
        return o;
    }
}
