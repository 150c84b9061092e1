package dev.jllm.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** One virtual user's conversation: each {@link #turn} sends one new user message and times the streamed answer. */
sealed interface Conversation extends AutoCloseable permits Conversation.Stateless, Conversation.Stateful {

    RequestResult turn(int turn, String userText, int maxTokens, long benchStartNanos);

    @Override
    void close();

    static Conversation open(Scenario s, OpenAiTarget target, String model, boolean ignoreEos, int session, long seed) {
        return open(s, target, model, ignoreEos, session, seed, null, null);
    }

    /** {@code adminKey} and {@code evictions}: {@link Scenario#STATEFUL_EVICT}'s eviction calls; required there, refused with any other scenario. */
    static Conversation open(Scenario s, OpenAiTarget target, String model, boolean ignoreEos, int session, long seed, String adminKey, Evictions evictions) {
        if ((s == Scenario.STATEFUL_EVICT) != (adminKey != null && evictions != null)) {
            throw new IllegalArgumentException("an admin key and eviction counters go with the stateful-evict scenario only, got " + s.wire());
        }
        return switch (s) {
            case STATELESS -> new Stateless(target, model, ignoreEos, session, seed, true);
            case STATELESS_COLD -> new Stateless(target, model, ignoreEos, session, seed, false);
            case STATEFUL -> new Stateful(target, model, ignoreEos, session, seed, null, null);
            case STATEFUL_EVICT -> new Stateful(target, model, ignoreEos, session, seed, adminKey, evictions);
        };
    }

    /** A per-request sampling seed, so reruns with the same --seed generate the same text. */
    private static long requestSeed(long seed, int session, int turn) {
        return ((seed * 31 + session) * 1_000_003L + turn) & (Long.MAX_VALUE >>> 11); // 52 bits: exact even as a JSON double
    }

    /** Chat completions: the whole history travels with every turn. */
    final class Stateless implements Conversation {
        private final OpenAiTarget target;
        private final String model;
        private final boolean ignoreEos;
        private final int session;
        private final long seed;
        private final boolean cachePrompt;
        private final ArrayNode history = OpenAiTarget.JSON.createArrayNode();

        Stateless(OpenAiTarget target, String model, boolean ignoreEos, int session, long seed, boolean cachePrompt) {
            this.cachePrompt = cachePrompt;
            this.target = target;
            this.model = model;
            this.ignoreEos = ignoreEos;
            this.session = session;
            this.seed = seed;
        }

        @Override
        public RequestResult turn(int turn, String userText, int maxTokens, long benchStartNanos) {
            history.addObject().put("role", "user").put("content", userText);
            ObjectNode body = OpenAiTarget.JSON.createObjectNode().put("model", model).put("stream", true).put("max_tokens", maxTokens)
                    .put("seed", requestSeed(seed, session, turn));
            if (ignoreEos) body.put("ignore_eos", true);
            if (!cachePrompt) body.put("cache_prompt", false);
            body.putObject("stream_options").put("include_usage", true);
            body.set("messages", history.deepCopy());
            StringBuilder answer = new StringBuilder();
            RequestResult r = target.stream(session, turn, benchStartNanos, "v1/chat/completions", body, OpenAiTarget.Dialect.CHAT_COMPLETIONS,
                    answer);
            history.addObject().put("role", "assistant").put("content", answer.toString());
            return r;
        }

        @Override
        public void close() {
            // nothing is kept on the server
        }
    }

    /**
     * One server-side conversation: each turn sends only the new message; the server keeps history (and
     * its KV). With an admin key, the conversation's KV is evicted before every turn after the first.
     */
    final class Stateful implements Conversation {
        private final OpenAiTarget target;
        private final String model;
        private final boolean ignoreEos;
        private final int session;
        private final long seed;
        private final String adminKey;      // null: the KV stays where the server keeps it
        private final Evictions evictions;
        private String id;

        Stateful(OpenAiTarget target, String model, boolean ignoreEos, int session, long seed, String adminKey, Evictions evictions) {
            this.target = target;
            this.model = model;
            this.ignoreEos = ignoreEos;
            this.session = session;
            this.seed = seed;
            this.adminKey = adminKey;
            this.evictions = evictions;
        }

        @Override
        public RequestResult turn(int turn, String userText, int maxTokens, long benchStartNanos) {
            if (id == null) {
                // Created before the first turn's clock starts: the conversation's setup is not part of its TTFT.
                try {
                    id = target.createConversation();
                } catch (IOException e) {
                    return RequestResult.failure(session, turn, System.nanoTime() - benchStartNanos, "create conversation failed", e.getMessage(), 0);
                }
            }
            if (adminKey != null && turn > 0) {
                // Before the turn's clock starts (target.stream takes its own t0): the eviction is not part of the TTFT it causes.
                long t0 = System.nanoTime();
                try {
                    evictions.add(target.evictKv(id, adminKey), System.nanoTime() - t0);
                } catch (IOException e) {
                    String kind = e instanceof OpenAiTarget.StatusException se ? "evict: HTTP " + se.status : "evict failed";
                    return RequestResult.failure(session, turn, t0 - benchStartNanos, kind, e.getMessage(), System.nanoTime() - t0);
                }
            }
            ObjectNode body = OpenAiTarget.JSON.createObjectNode().put("model", model).put("conversation", id).put("input", userText)
                    .put("max_output_tokens", maxTokens).put("stream", true).put("seed", requestSeed(seed, session, turn));
            if (ignoreEos) body.put("ignore_eos", true);
            return target.stream(session, turn, benchStartNanos, "v1/responses", body, OpenAiTarget.Dialect.RESPONSES, new StringBuilder());
        }

        @Override
        public void close() {
            if (id != null) target.deleteConversation(id);
        }
    }
}
