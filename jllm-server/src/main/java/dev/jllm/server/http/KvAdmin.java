package dev.jllm.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jllm.engine.EngineBusyException;
import dev.jllm.engine.KvDiskStore;
import dev.jllm.engine.Scheduler;
import dev.jllm.server.store.ConversationStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code /admin/kv}: the conversations' KV as an operator sees it. {@code POST /admin/kv/evict} evicts
 * a conversation's idle KV (or every idle entry) now, through the scheduler's own LRU eviction
 * ({@link Scheduler#evict}): written to the KV disk tier when the server has one, so the next turn
 * loads it, or dropped with {@code --kv-disk-budget 0}, so the next turn prefills the history again.
 * The answer comes after the files are written. {@code jllm loadtest --scenario stateful-evict} calls
 * it before every turn after the first, to measure those next turns without waiting for memory
 * pressure or restarting the server.
 */
final class KvAdmin {
    private static final Set<String> EVICT_FIELDS = Set.of("conversation", "all");
    private static final String EVICT_SHAPE = "{\"conversation\": \"conv_…\"} or {\"all\": true}";

    private final ConversationStore store;
    private final Supplier<List<Scheduler>> schedulers; // the current version's first, then replaced ones still finishing requests

    KvAdmin(ConversationStore store, Supplier<List<Scheduler>> schedulers) {
        this.store = store;
        this.schedulers = schedulers;
    }

    /** {@code seg}: ["kv"] or ["kv", "evict"]. */
    void handle(HttpExchange ex, String method, String[] seg) throws IOException {
        if (seg.length == 1) {
            if (!method.equals("GET")) throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "use GET on /admin/kv", 0);
            HttpIo.sendJson(ex, 200, status());
        } else if (seg.length == 2 && seg[1].equals("evict")) {
            if (!method.equals("POST")) {
                throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "use POST on /admin/kv/evict with " + EVICT_SHAPE, 0);
            }
            HttpIo.sendJson(ex, 200, evict(HttpIo.readJsonObject(ex, 1 << 16)));
        } else {
            throw ApiException.notFound("no admin route /admin/" + String.join("/", seg) + "; there are GET /admin/kv and POST /admin/kv/evict");
        }
    }

    private ObjectNode status() {
        Scheduler s = schedulers.get().getFirst();
        Scheduler.Stats st = s.stats();
        ObjectNode r = HttpIo.JSON.createObjectNode().put("object", "kv").put("idle_entries", st.idleConversations())
                .put("blocks_used", st.blocksUsed()).put("blocks_total", st.blocksTotal()).put("block_tokens", s.blockTokens());
        KvDiskStore d = s.kvDisk();
        if (d == null) {
            r.putNull("disk");
        } else {
            ObjectNode o = r.putObject("disk").put("directory", d.directory().toString()).put("budget_bytes", d.budget())
                    .put("bytes", d.bytesOnDisk()).put("hits", d.hits()).put("writes", d.writes());
            ObjectNode m = o.putObject("misses");
            d.misses().forEach(m::put);
        }
        return r;
    }

    private ObjectNode evict(ObjectNode body) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!EVICT_FIELDS.contains(f)) throw ApiException.invalid(f, "unknown field '" + f + "'; /admin/kv/evict takes " + EVICT_SHAPE);
        }
        String conv = Fields.optString(body, "conversation", null);
        Boolean all = Fields.optBool(body, "all", null);
        if (conv != null && all != null) throw ApiException.invalid("all", "give 'conversation' or 'all', not both: " + EVICT_SHAPE);
        if (conv == null && all == null) throw ApiException.invalid("conversation", "say what to evict: " + EVICT_SHAPE);
        if (all != null && !all) throw ApiException.invalid("all", "'all' must be true (to evict one conversation, give 'conversation')");
        if (conv != null) {
            if (conv.isBlank()) throw ApiException.invalid("conversation", "'conversation' must be a conversation id such as conv_…, got an empty string");
            if (!store.conversationExists(conv)) {
                throw new ApiException(404, "invalid_request_error", "conversation", "conversation_not_found", "no conversation '" + conv + "' on this server", 0);
            }
        }
        List<Scheduler.Evicted> evicted = new ArrayList<>();
        List<Scheduler> scheds = schedulers.get();
        for (int i = 0; i < scheds.size(); i++) {
            try {
                evicted.addAll(scheds.get(i).evict(conv));
            } catch (EngineBusyException e) {
                if (i == 0) throw new ApiException(503, "server_error", null, "unavailable", e.getMessage(), Math.max(1, e.retryAfterSeconds()));
                // a replaced version closing meanwhile: its KV goes to disk with its close anyway
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException(503, "server_error", null, "unavailable", "interrupted while evicting", 1);
            }
        }
        ObjectNode r = HttpIo.JSON.createObjectNode().put("object", "kv.eviction");
        r.put("evicted", evicted.size());
        r.put("tokens", evicted.stream().mapToLong(Scheduler.Evicted::tokens).sum());
        r.put("spilled", evicted.stream().filter(Scheduler.Evicted::spilled).count());
        r.put("disk", scheds.getFirst().kvDisk() != null);
        ArrayNode data = r.putArray("data");
        for (Scheduler.Evicted e : evicted) data.addObject().put("id", e.key()).put("tokens", e.tokens()).put("spilled", e.spilled());
        return r;
    }
}
