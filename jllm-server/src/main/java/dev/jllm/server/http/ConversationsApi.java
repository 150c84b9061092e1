package dev.jllm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.Scheduler;
import dev.jllm.server.store.ConversationStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Conversations API: create / get / delete a conversation, list and add its items. */
final class ConversationsApi {
    private final ConversationStore store;
    private final Scheduler scheduler;
    private final PromptBuilder guard;

    ConversationsApi(ConversationStore store, Scheduler scheduler, PromptBuilder guard) {
        this.store = store;
        this.scheduler = scheduler;
        this.guard = guard;
    }

    void create(HttpExchange ex, ObjectNode body, String owner) throws IOException {
        Map<String, String> metadata = metadata(Fields.optObject(body, "metadata", null));
        ArrayNode items = Fields.optArray(body, "items", null);
        List<ConversationStore.NewItem> add = items == null ? List.of() : ResponseItems.parse(items, "items", guard);
        ResponseItems.checkOutputs(List.of(), add, "items");
        HttpIo.sendJson(ex, 200, json(store.createConversation(owner, metadata, add)));
    }

    /** {@code GET /v1/conversations?limit=20}: the caller's conversations, newest first (for the web page; not in OpenAI's API). */
    void listConversations(HttpExchange ex, String owner) throws IOException {
        int limit = limit(query(ex.getRequestURI().getRawQuery()));
        List<ConversationStore.Conversation> found = store.conversations(owner, limit + 1);
        ObjectNode r = HttpIo.JSON.createObjectNode();
        r.put("object", "list");
        ArrayNode data = r.putArray("data");
        for (ConversationStore.Conversation c : found.subList(0, Math.min(limit, found.size()))) data.add(json(c));
        r.put("has_more", found.size() > limit);
        HttpIo.sendJson(ex, 200, r);
    }

    void get(HttpExchange ex, String owner, String id) throws IOException {
        HttpIo.sendJson(ex, 200, json(find(owner, id)));
    }

    void delete(HttpExchange ex, String owner, String id) throws IOException {
        if (!store.deleteConversation(owner, id)) throw notFound(id);
        scheduler.forget(id); // its resident KV and token sequence are of no use any more
        ObjectNode r = HttpIo.JSON.createObjectNode();
        r.put("id", id);
        r.put("object", "conversation.deleted");
        r.put("deleted", true);
        HttpIo.sendJson(ex, 200, r);
    }

    /** {@code GET .../items?limit=20&order=desc&after=ID} (OpenAI's defaults: 20, newest first). */
    void listItems(HttpExchange ex, String owner, String id) throws IOException {
        find(owner, id);
        sendPage(ex, store.items(owner, id), "this conversation");
    }

    /** One page of {@code items} (in order) as OpenAI's list, by the request's limit / order (default desc) / after. */
    static void sendPage(HttpExchange ex, List<ConversationStore.Item> items, String where) throws IOException {
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        int limit = limit(q);
        String order = q.getOrDefault("order", "desc");
        if (!order.equals("asc") && !order.equals("desc")) throw ApiException.invalid("order", "'order' must be asc or desc");
        List<ConversationStore.Item> all = new ArrayList<>(items);
        if (order.equals("desc")) java.util.Collections.reverse(all);
        int from = 0;
        if (q.containsKey("after")) {
            from = -1;
            for (int i = 0; i < all.size(); i++) if (all.get(i).id().equals(q.get("after"))) from = i + 1;
            if (from < 0) throw ApiException.invalid("after", "no item '" + q.get("after") + "' in " + where);
        }
        List<ConversationStore.Item> page = all.subList(from, Math.min(all.size(), from + limit));
        HttpIo.sendJson(ex, 200, list(page, from + limit < all.size()));
    }

    void addItems(HttpExchange ex, ObjectNode body, String owner, String id) throws IOException {
        find(owner, id);
        ArrayNode items = Fields.optArray(body, "items", null);
        if (items == null || items.isEmpty()) throw ApiException.invalid("items", "'items' must be a non-empty array");
        List<ConversationStore.NewItem> add = ResponseItems.parse(items, "items", guard);
        ResponseItems.checkOutputs(store.items(owner, id), add, "items");
        HttpIo.sendJson(ex, 200, list(store.addItems(owner, id, add), false));
    }

    /** {@code limit}: 20 unless given, in [1, 100]. */
    private static int limit(Map<String, String> q) {
        int limit = 20;
        if (q.containsKey("limit")) {
            try {
                limit = Integer.parseInt(q.get("limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 100) throw ApiException.invalid("limit", "'limit' must be an integer in [1, 100]");
        }
        return limit;
    }

    private ConversationStore.Conversation find(String owner, String id) {
        return store.conversation(owner, id).orElseThrow(() -> notFound(id));
    }

    static ApiException notFound(String id) {
        return ApiException.notFound("conversation '" + id + "' not found");
    }

    static ObjectNode json(ConversationStore.Conversation c) {
        ObjectNode r = HttpIo.JSON.createObjectNode();
        r.put("id", c.id());
        r.put("object", "conversation");
        r.put("created_at", c.createdAt());
        ObjectNode m = r.putObject("metadata");
        c.metadata().forEach(m::put);
        return r;
    }

    static ObjectNode list(List<ConversationStore.Item> items, boolean hasMore) {
        ObjectNode r = HttpIo.JSON.createObjectNode();
        r.put("object", "list");
        ArrayNode data = r.putArray("data");
        for (ConversationStore.Item it : items) data.add(ResponseItems.json(it));
        r.put("first_id", items.isEmpty() ? null : items.getFirst().id());
        r.put("last_id", items.isEmpty() ? null : items.getLast().id());
        r.put("has_more", hasMore);
        return r;
    }

    /** Up to 16 string pairs (OpenAI's limits: keys ≤ 64 chars, values ≤ 512). */
    static Map<String, String> metadata(ObjectNode o) {
        Map<String, String> m = new LinkedHashMap<>();
        if (o == null) return m;
        if (o.size() > 16) throw ApiException.invalid("metadata", "'metadata' may hold at most 16 keys");
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().length() > 64) throw ApiException.invalid("metadata", "'metadata' keys must be at most 64 characters");
            if (!e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw ApiException.invalid("metadata." + e.getKey(), "'metadata." + e.getKey() + "' must be a string of at most 512 characters");
            }
            m.put(e.getKey(), e.getValue().asText());
        }
        return m;
    }

    static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return q;
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            String k = java.net.URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), java.nio.charset.StandardCharsets.UTF_8);
            String v = i < 0 ? "" : java.net.URLDecoder.decode(kv.substring(i + 1), java.nio.charset.StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }
}
