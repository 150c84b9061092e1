package dev.jllm.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.engine.FinishReason;
import dev.jllm.engine.GenerationEvent;
import dev.jllm.model.SamplingParams;
import dev.jllm.server.store.ConversationStore.GenerationRecord;
import java.util.regex.Pattern;

/**
 * What each answer was made by: one {@link GenerationRecord} per generation that reached the engine —
 * model name, version, file hash, adapter, sampling parameters, token counts, output length in code
 * points, empty/refusal flags, TTFT and total time from the request's arrival, the replica. A stored
 * response's row is written with the response in one transaction; the stateless APIs' rows go through
 * {@link GenerationLog}.
 */
final class Provenance {
    /**
     * The opening of a refusal, in English and Chinese (the answer's first characters; leading space
     * ignored). A heuristic for a rate, not a classifier: it counts answers that start by declining.
     */
    static final Pattern REFUSAL = Pattern.compile("^\\s*(i'?m sorry|i am sorry|sorry, (but )?i |i apologi[sz]e|i can'?t|i cannot|i can not"
            + "|i won'?t|i will not|i'?m (unable|not able)|i am (unable|not able)|as an ai\\b|抱歉|对不起|很抱歉|我(不能|无法|不会))",
            Pattern.CASE_INSENSITIVE);

    /** Whether an answer's text starts like a refusal. */
    static boolean refusal(String text) {
        return text != null && REFUSAL.matcher(text.length() > 200 ? text.substring(0, 200) : text).find();
    }

    private Provenance() {}

    /** One request's record in the making, started when the request arrived. */
    static final class Req {
        final long startNanos;
        final long createdMs;
        final String replica;
        final ServedModels models;
        String id, api, owner, responseId, conversationId;
        ServedModels.Resolved model;
        GenerationArgs args;
        boolean grammar;
        /** The request's row went to the log already (so an error path does not write a second one). */
        boolean recorded;

        Req(String replica, ServedModels models, String api) {
            this(replica, models, api, System.nanoTime(), System.currentTimeMillis());
        }

        private Req(String replica, ServedModels models, String api, long startNanos, long createdMs) {
            this.startNanos = startNanos;
            this.createdMs = createdMs;
            this.replica = replica;
            this.models = models;
            this.api = api;
        }

        /** An answer: its text (null: none, only tool calls), whether it made tool calls. */
        GenerationRecord answered(GenerationEvent.Finished f, String text, boolean calls) {
            double totalMs = (System.nanoTime() - startNanos) / 1e6;
            // the engine measured from submission; the time before that (prompt building, the store) is the request's too
            double ttftMs = f.e2eNanos() > 0 ? totalMs - (f.e2eNanos() - f.ttftNanos()) / 1e6 : -1;
            String status = f.reason() == FinishReason.LENGTH ? "incomplete" : "completed";
            String t = text == null ? "" : text;
            boolean empty = t.isBlank() && !calls;
            return new GenerationRecord(id, createdMs, api, owner, responseId, conversationId, models.base(), models.version(), models.sha256(),
                    model == null ? null : models.adapterName(model), sampling(), status, f.reason().wire, null, f.promptTokens(),
                    f.cachedTokens(), f.completionTokens(), t.codePointCount(0, t.length()), empty, refusal(t), ttftMs, totalMs, replica);
        }

        /** The record of the i-th prompt of a completions request with several (id {@code cmpl-…-i}). */
        Req forChoice(int i) {
            Req r = new Req(replica, models, api, startNanos, createdMs);
            r.id = id + "-" + i;
            r.owner = owner;
            r.model = model;
            r.args = args;
            r.grammar = grammar;
            return r;
        }

        /** Logs the answer ({@link #answered}) through {@code log}, once. */
        void record(GenerationLog log, GenerationEvent.Finished f, String text, boolean calls) {
            if (recorded) return;
            recorded = true;
            log.add(answered(f, text, calls));
        }

        /** Logs an end without an answer ({@link #ended}) through {@code log}, once. */
        void end(GenerationLog log, String status, String error) {
            if (recorded) return;
            recorded = true;
            log.add(ended(status, error));
        }

        /** No answer: failed (an error), cancelled (the client left) or rejected (busy). */
        GenerationRecord ended(String status, String error) {
            double totalMs = (System.nanoTime() - startNanos) / 1e6;
            return new GenerationRecord(id, createdMs, api, owner, responseId, conversationId, models.base(), models.version(), models.sha256(),
                    model == null ? null : models.adapterName(model), sampling(), status, null, error, 0, 0, 0, 0, false, false, -1, totalMs,
                    replica);
        }

        private String sampling() {
            if (args == null) return null;
            SamplingParams p = args.params();
            ObjectNode o = HttpIo.JSON.createObjectNode();
            o.put("temperature", p.temperature());
            o.put("top_p", p.topP());
            if (args.maxTokensGiven()) o.put("max_tokens", p.maxTokens());
            if (p.presencePenalty() != 0) o.put("presence_penalty", p.presencePenalty());
            if (p.frequencyPenalty() != 0) o.put("frequency_penalty", p.frequencyPenalty());
            o.put("seed", p.seed());
            if (!p.stop().isEmpty()) {
                var a = o.putArray("stop");
                p.stop().forEach(a::add);
            }
            if (!p.logitBias().isEmpty()) o.put("logit_bias_tokens", p.logitBias().size());
            if (p.ignoreEos()) o.put("ignore_eos", true);
            if (args.maxOutputChars() > 0) o.put("max_output_chars", args.maxOutputChars());
            if (grammar) o.put("grammar", true);
            return o.toString();
        }
    }
}
