package dev.jllm.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@link ConversationStore} in SQL, shared by SQLite and PostgreSQL: every statement here is
 * plain SQL both accept, so the two stores cannot drift apart. Subclasses decide how a statement gets
 * a connection (one serialised connection for SQLite, a pool for PostgreSQL) and supply the DDL of
 * each migration in their dialect ({@link Migrations}).
 */
public abstract sealed class SqlConversationStore implements ConversationStore, ModelRegistry permits SqliteConversationStore, PostgresConversationStore {
    private static final String ITEM_COLUMNS = "id, conversation_id, response_id, type, role, content, call_id, name, status, output, created_at";

    /** Conversation metadata is stored as a JSON object (string → string). */
    private static final ObjectMapper JSON = new ObjectMapper();


    /** A unit of work on one connection. */
    protected interface Work<T> {
        T run(Connection c) throws SQLException, JsonProcessingException;
    }

    /** Runs {@code w} as one transaction on {@code c}: commit on success, roll back on any failure. */
    protected static <T> T inTransaction(Connection c, Work<T> w) throws SQLException, JsonProcessingException {
        c.setAutoCommit(false);
        try {
            T r = w.run(c);
            c.commit();
            return r;
        } catch (SQLException | JsonProcessingException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Runs {@code w} in one transaction (committed, or rolled back on any exception). */
    protected abstract <T> T transaction(Work<T> w);

    /** Runs {@code w} with auto-commit (reads). */
    protected abstract <T> T query(Work<T> w);

    /** Where the data lives, for messages (a file, or a URL without its password). */
    public abstract String location();

    /** Which migration DDL to run. */
    protected abstract Migrations.Dialect dialect();

    /** Serialises migrations between processes opening the same database at once (PostgreSQL); SQLite's writer lock does it. */
    protected void lockForMigration(Connection c) throws SQLException {}

    /** Serialises registry changes (promote, rollback, add) between processes (PostgreSQL); SQLite's writer lock does it. */
    protected void lockRegistry(Connection c) throws SQLException {}

    @Override
    public void ping() {
        query(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                return rs.next();
            }
        });
    }

    /** The schema version this jllm writes (the number of its migrations). */
    public static int latestSchemaVersion() {
        return Migrations.ALL.size();
    }

    /** The schema version (number of migrations applied). */
    public int schemaVersion() {
        return query(SqlConversationStore::version);
    }

    private static int version(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Brings the schema to the newest version, one transaction per migration; refuses a database newer than this code. */
    protected final void migrate() {
        transaction(c -> {
            lockForMigration(c); // IF NOT EXISTS alone races in PostgreSQL
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                        + " applied_at BIGINT NOT NULL)");
            }
            return null;
        });
        List<Migrations.Migration> all = Migrations.ALL;
        transaction(c -> {
            lockForMigration(c);
            int have = version(c);
            if (have > all.size()) {
                throw new SQLException("the database has schema version " + have + ", newer than this jllm (" + all.size() + "); upgrade jllm");
            }
            return null;
        });
        for (int v = 1; v <= all.size(); v++) {
            Migrations.Migration m = all.get(v - 1);
            final int version = v;
            transaction(c -> {
                lockForMigration(c);
                if (version(c) >= version) return null; // another process got there first
                try (Statement s = c.createStatement()) {
                    for (String sql : m.sql(dialect()).split(";")) if (!sql.isBlank()) s.execute(sql);
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO schema_migrations VALUES (?, ?, ?)")) {
                    p.setInt(1, version);
                    p.setString(2, m.description());
                    p.setLong(3, now());
                    p.executeUpdate();
                }
                return null;
            });
        }
    }

    @Override
    public Conversation createConversation(String owner, Map<String, String> metadata, List<NewItem> items) {
        Conversation conv = new Conversation(Ids.next("conv_"), owner, now(), Map.copyOf(metadata));
        return transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO conversations (id, owner, created_at, metadata) VALUES (?, ?, ?, ?)")) {
                p.setString(1, conv.id());
                p.setString(2, owner);
                p.setLong(3, conv.createdAt());
                p.setString(4, JSON.writeValueAsString(conv.metadata()));
                p.executeUpdate();
            }
            insertItems(c, owner, conv.id(), null, items, "completed", false);
            return conv;
        });
    }

    @Override
    public Optional<Conversation> conversation(String owner, String id) {
        return query(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT id, owner, created_at, metadata FROM conversations WHERE id = ? AND owner = ?")) {
                p.setString(1, id);
                p.setString(2, owner);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    return Optional.of(new Conversation(rs.getString(1), rs.getString(2), rs.getLong(3),
                            JSON.readValue(rs.getString(4), new TypeReference<Map<String, String>>() {})));
                }
            }
        });
    }

    @Override
    public boolean conversationExists(String id) {
        return query(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM conversations WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    @Override
    public List<Conversation> conversations(String owner, int limit) {
        return query(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT id, owner, created_at, metadata FROM conversations WHERE owner = ?"
                    + " ORDER BY created_at DESC, id DESC LIMIT ?")) {
                p.setString(1, owner);
                p.setInt(2, limit);
                List<Conversation> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Conversation(rs.getString(1), rs.getString(2), rs.getLong(3),
                                JSON.readValue(rs.getString(4), new TypeReference<Map<String, String>>() {})));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public boolean deleteConversation(String owner, String id) {
        return transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM conversations WHERE id = ? AND owner = ?")) {
                p.setString(1, id);
                p.setString(2, owner);
                if (p.executeUpdate() == 0) return false;
            }
            for (String sql : List.of("DELETE FROM items WHERE conversation_id = ?", "DELETE FROM sequences WHERE cache_key IN (SELECT id FROM responses"
                    + " WHERE conversation_id = ?)", "DELETE FROM responses WHERE conversation_id = ?", "DELETE FROM sequences WHERE cache_key = ?")) {
                try (PreparedStatement p = c.prepareStatement(sql)) {
                    p.setString(1, id);
                    p.executeUpdate();
                }
            }
            return true;
        });
    }

    @Override
    public List<Item> items(String owner, String conversationId) {
        return query(c -> selectItems(c, "SELECT " + ITEM_COLUMNS + " FROM items"
                + " WHERE conversation_id = ? AND owner = ? ORDER BY seq", conversationId, owner));
    }

    @Override
    public List<Item> addItems(String owner, String conversationId, List<NewItem> items) {
        return transaction(c -> {
            String busy = activeTurn(c, conversationId);
            if (busy != null) throw new ConversationBusyException(conversationId, busy);
            return insertItems(c, owner, conversationId, null, items, "completed", false);
        });
    }

    /** {@code " FOR UPDATE"} where the database has it (PostgreSQL: the row stays locked to the end of the transaction); SQLite locks the file. */
    protected String forUpdate() {
        return "";
    }

    /**
     * Locks the conversation's row and returns its turn in progress, if that turn's server is alive; a
     * turn whose server stopped heartbeating is marked incomplete here (its conversation is free again).
     */
    private String activeTurn(Connection c, String conversationId) throws SQLException {
        String active;
        try (PreparedStatement p = c.prepareStatement("SELECT active_response FROM conversations WHERE id = ?" + forUpdate())) {
            p.setString(1, conversationId);
            try (ResultSet rs = p.executeQuery()) {
                if (!rs.next()) return null;
                active = rs.getString(1);
            }
        }
        if (active == null) return null;
        String status, instance;
        long heartbeat;
        boolean known;
        try (PreparedStatement p = c.prepareStatement("SELECT r.status, r.instance, i.heartbeat_at FROM responses r LEFT JOIN instances i"
                + " ON i.id = r.instance WHERE r.id = ?")) {
            p.setString(1, active);
            try (ResultSet rs = p.executeQuery()) {
                if (!rs.next()) return null;
                status = rs.getString(1);
                instance = rs.getString(2);
                heartbeat = rs.getLong(3);
                known = !rs.wasNull();
            }
        }
        if (!status.equals("in_progress")) return null;
        boolean alive = instance == null || known && System.currentTimeMillis() - heartbeat <= LEASE_MS;
        if (alive) return active;
        try (PreparedStatement p = c.prepareStatement("UPDATE responses SET status = 'incomplete', completed_at = ?, error = ? WHERE id = ?"
                + " AND status = 'in_progress'")) {
            p.setLong(1, now());
            p.setString(2, "interrupted: its server " + instance + " stopped before the response completed");
            p.setString(3, active);
            p.executeUpdate();
        }
        return null;
    }

    @Override
    public void beginResponse(Response r, String instanceId) {
        transaction(c -> {
            if (r.conversationId() != null) {
                String busy = activeTurn(c, r.conversationId());
                if (busy != null) throw new ConversationBusyException(r.conversationId(), busy);
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO responses (id, owner, conversation_id, previous_response_id, status,"
                    + " model, instructions, created_at, instance) VALUES (?, ?, ?, ?, 'in_progress', ?, ?, ?, ?)")) {
                p.setString(1, r.id());
                p.setString(2, r.owner());
                p.setString(3, r.conversationId());
                p.setString(4, r.previousResponseId());
                p.setString(5, r.model());
                p.setString(6, text(r.instructions()));
                p.setLong(7, r.createdAt());
                setNullable(p, 8, instanceId);
                p.executeUpdate();
            }
            if (r.conversationId() != null) {
                try (PreparedStatement p = c.prepareStatement("UPDATE conversations SET active_response = ? WHERE id = ?")) {
                    p.setString(1, r.id());
                    p.setString(2, r.conversationId());
                    p.executeUpdate();
                }
            }
            return null;
        });
    }

    @Override
    public List<Item> completeResponse(String responseId, List<NewItem> input, List<NewItem> output, Usage usage, String status,
                                       GenerationRecord made, String cacheKey, Sequence sequence) {
        return transaction(c -> {
            String owner, conversationId, was;
            try (PreparedStatement p = c.prepareStatement("SELECT owner, conversation_id, status FROM responses WHERE id = ?")) {
                p.setString(1, responseId);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) throw new SQLException("unknown response " + responseId);
                    owner = rs.getString(1);
                    conversationId = rs.getString(2);
                    was = rs.getString(3);
                }
            }
            if (conversationId != null) {
                try (PreparedStatement p = c.prepareStatement("SELECT active_response FROM conversations WHERE id = ?" + forUpdate())) {
                    p.setString(1, conversationId); // appends to one conversation are serialised on its row
                    p.executeQuery().close();
                }
                try (PreparedStatement p = c.prepareStatement("SELECT status FROM responses WHERE id = ?")) {
                    p.setString(1, responseId); // again, under the lock: a replica that took it for dead changed it holding the same lock
                    try (ResultSet rs = p.executeQuery()) {
                        rs.next();
                        was = rs.getString(1);
                    }
                }
            }
            if (!was.equals("in_progress")) {
                // another replica took it for dead (no heartbeat for the lease) and the conversation may have moved on
                throw new SQLException("response " + responseId + " is " + was + ", no longer in progress: its turn is not stored");
            }
            insertItems(c, owner, conversationId, responseId, input, "completed", false);
            List<Item> out = insertItems(c, owner, conversationId, responseId, output, "completed", true);
            try (PreparedStatement p = c.prepareStatement("UPDATE responses SET status = ?, completed_at = ?, input_tokens = ?,"
                    + " cached_tokens = ?, output_tokens = ? WHERE id = ?")) {
                p.setString(1, status);
                p.setLong(2, now());
                p.setInt(3, usage.inputTokens());
                p.setInt(4, usage.cachedTokens());
                p.setInt(5, usage.outputTokens());
                p.setString(6, responseId);
                p.executeUpdate();
            }
            if (made != null) insertGenerations(c, List.of(made));
            if (conversationId != null) release(c, conversationId, responseId);
            if (sequence != null && cacheKey != null) putSequence(c, cacheKey, sequence);
            return out;
        });
    }

    private static void release(Connection c, String conversationId, String responseId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE conversations SET active_response = NULL WHERE id = ? AND active_response = ?")) {
            p.setString(1, conversationId);
            p.setString(2, responseId);
            p.executeUpdate();
        }
    }

    private static void putSequence(Connection c, String key, Sequence s) throws SQLException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * s.tokens().length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int t : s.tokens()) b.putInt(t);
        try (PreparedStatement p = c.prepareStatement("INSERT INTO sequences (cache_key, model_sha256, tokens, updated_at) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (cache_key) DO UPDATE SET model_sha256 = excluded.model_sha256, tokens = excluded.tokens, updated_at = excluded.updated_at")) {
            p.setString(1, key);
            p.setString(2, s.modelSha256());
            p.setBytes(3, b.array());
            p.setLong(4, now());
            p.executeUpdate();
        }
    }

    @Override
    public int[] sequence(String cacheKey, String modelSha256) {
        return query(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT model_sha256, tokens FROM sequences WHERE cache_key = ?")) {
                p.setString(1, cacheKey);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next() || !rs.getString(1).equals(modelSha256)) return null;
                    java.nio.IntBuffer ib = java.nio.ByteBuffer.wrap(rs.getBytes(2)).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer();
                    int[] t = new int[ib.remaining()];
                    ib.get(t);
                    return t;
                }
            }
        });
    }

    @Override
    public void registerInstance(String instanceId, String address) {
        transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO instances (id, address, started_at, heartbeat_at) VALUES (?, ?, ?, ?)")) {
                p.setString(1, instanceId);
                p.setString(2, address);
                p.setLong(3, System.currentTimeMillis());
                p.setLong(4, System.currentTimeMillis());
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public int heartbeat(String instanceId) {
        return transaction(c -> {
            long now = System.currentTimeMillis();
            try (PreparedStatement p = c.prepareStatement("UPDATE instances SET heartbeat_at = ? WHERE id = ?")) {
                p.setLong(1, now);
                p.setString(2, instanceId);
                if (p.executeUpdate() == 0) {
                    try (PreparedStatement q = c.prepareStatement("INSERT INTO instances (id, address, started_at, heartbeat_at) VALUES (?, NULL, ?, ?)")) {
                        q.setString(1, instanceId);
                        q.setLong(2, now);
                        q.setLong(3, now);
                        q.executeUpdate();
                    }
                }
            }
            int marked;
            try (PreparedStatement p = c.prepareStatement("UPDATE responses SET status = 'incomplete', completed_at = ?,"
                    + " error = 'interrupted: its server ' || instance || ' stopped before the response completed'"
                    + " WHERE status = 'in_progress' AND instance IN (SELECT id FROM instances WHERE heartbeat_at < ?)")) {
                p.setLong(1, now / 1000);
                p.setLong(2, now - LEASE_MS);
                marked = p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM instances WHERE heartbeat_at < ?")) {
                p.setLong(1, now - 86_400_000L); // a day gone: nothing of theirs is in progress any more
                p.executeUpdate();
            }
            return marked;
        });
    }

    @Override
    public void unregisterInstance(String instanceId) {
        transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM instances WHERE id = ?")) {
                p.setString(1, instanceId);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void failResponse(String responseId, String status, String error, GenerationRecord made) {
        transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE conversations SET active_response = NULL WHERE id = (SELECT conversation_id"
                    + " FROM responses WHERE id = ?) AND active_response = ?")) {
                p.setString(1, responseId);
                p.setString(2, responseId);
                p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("UPDATE responses SET status = ?, completed_at = ?, error = ? WHERE id = ?")) {
                p.setString(1, status);
                p.setLong(2, now());
                p.setString(3, text(error));
                p.setString(4, responseId);
                p.executeUpdate();
            }
            if (made != null) insertGenerations(c, List.of(made));
            return null;
        });
    }

    private static final String GENERATION_COLUMNS = "id, created_ms, api, owner, response_id, conversation_id, model, model_version, model_sha256,"
            + " adapter, sampling, status, finish_reason, error, prompt_tokens, cached_tokens, output_tokens, output_chars, empty_answer, refusal,"
            + " ttft_ms, total_ms, replica";

    @Override
    public void recordGenerations(List<GenerationRecord> rows) {
        if (rows.isEmpty()) return;
        transaction(c -> {
            insertGenerations(c, rows);
            return null;
        });
    }

    private static void insertGenerations(Connection c, List<GenerationRecord> rows) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO generations (" + GENERATION_COLUMNS + ") VALUES"
                + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (GenerationRecord g : rows) {
                int i = 0;
                p.setString(++i, g.id());
                p.setLong(++i, g.createdMs());
                p.setString(++i, g.api());
                setNullable(p, ++i, g.owner());
                setNullable(p, ++i, g.responseId());
                setNullable(p, ++i, g.conversationId());
                p.setString(++i, g.model());
                setNullable(p, ++i, g.version());
                setNullable(p, ++i, g.modelSha256());
                setNullable(p, ++i, g.adapter());
                setNullable(p, ++i, g.sampling());
                p.setString(++i, g.status());
                setNullable(p, ++i, g.finishReason());
                setNullable(p, ++i, text(g.error()));
                p.setInt(++i, g.promptTokens());
                p.setInt(++i, g.cachedTokens());
                p.setInt(++i, g.outputTokens());
                p.setInt(++i, g.outputChars());
                p.setInt(++i, g.empty() ? 1 : 0);
                p.setInt(++i, g.refusal() ? 1 : 0);
                if (g.ttftMs() >= 0) p.setDouble(++i, g.ttftMs());
                else p.setNull(++i, Types.DOUBLE);
                p.setDouble(++i, g.totalMs());
                setNullable(p, ++i, g.replica());
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    /**
     * Text as both databases store it: U+0000 becomes U+FFFD (PostgreSQL's text cannot hold NUL, and a
     * model can emit one — a byte token &lt;0x00&gt;); the same in SQLite so the two stores answer alike.
     */
    static String text(String s) {
        return s == null || s.indexOf('\0') < 0 ? s : s.replace('\0', '\uFFFD');
    }

    private static void setNullable(PreparedStatement p, int i, String v) throws SQLException {
        if (v != null) p.setString(i, v);
        else p.setNull(i, Types.VARCHAR);
    }

    private static GenerationRecord generationRow(ResultSet rs) throws SQLException {
        double ttft = rs.getDouble(21);
        if (rs.wasNull()) ttft = -1;
        return new GenerationRecord(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12), rs.getString(13),
                rs.getString(14), rs.getInt(15), rs.getInt(16), rs.getInt(17), rs.getInt(18), rs.getInt(19) != 0, rs.getInt(20) != 0, ttft,
                rs.getDouble(22), rs.getString(23));
    }

    @Override
    public Optional<GenerationRecord> generation(String id) {
        return query(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + GENERATION_COLUMNS + " FROM generations WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(generationRow(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void scanGenerations(long sinceMs, long untilMs, String model, java.util.function.Consumer<GenerationRecord> sink) {
        query(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + GENERATION_COLUMNS + " FROM generations WHERE created_ms >= ?"
                    + " AND created_ms < ?" + (model != null ? " AND model = ?" : "") + " ORDER BY created_ms, id")) {
                p.setLong(1, sinceMs);
                p.setLong(2, untilMs);
                if (model != null) p.setString(3, model);
                p.setFetchSize(2048); // PostgreSQL streams with a cursor (outside auto-commit only); SQLite steps anyway
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) sink.accept(generationRow(rs));
                }
            }
            return null;
        });
    }

    @Override
    public List<Bucket> generationBuckets(long sinceMs, long bucketMs, String model) {
        if (bucketMs <= 0) throw new IllegalArgumentException("bucket must be > 0 ms, got " + bucketMs);
        return query(c -> {
            // integer division buckets alike in both databases (created_ms is never negative)
            String b = "(created_ms / " + bucketMs + ")";
            String answered = "status IN ('completed', 'incomplete')";
            try (PreparedStatement p = c.prepareStatement("SELECT model, COALESCE(model_version, ''), " + b + ","
                    + " SUM(CASE WHEN " + answered + " THEN 1 ELSE 0 END),"
                    + " SUM(CASE WHEN " + answered + " THEN output_tokens ELSE 0 END),"
                    + " SUM(CASE WHEN " + answered + " THEN 1.0 * output_tokens * output_tokens ELSE 0 END),"
                    + " SUM(CASE WHEN " + answered + " THEN output_chars ELSE 0 END),"
                    + " SUM(CASE WHEN " + answered + " THEN 1.0 * output_chars * output_chars ELSE 0 END),"
                    + " SUM(CASE WHEN " + answered + " AND (empty_answer = 1 OR refusal = 1) THEN 1 ELSE 0 END),"
                    + " SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), COUNT(*)"
                    + " FROM generations WHERE created_ms >= ?" + (model != null ? " AND model = ?" : "")
                    + " GROUP BY model, COALESCE(model_version, ''), " + b + " ORDER BY 3, 1, 2")) {
                p.setLong(1, sinceMs);
                if (model != null) p.setString(2, model);
                List<Bucket> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        String v = rs.getString(2);
                        out.add(new Bucket(rs.getString(1), v.isEmpty() ? null : v, rs.getLong(3) * bucketMs, rs.getInt(4), rs.getDouble(5),
                                rs.getDouble(6), rs.getDouble(7), rs.getDouble(8), rs.getInt(9), rs.getInt(10), rs.getInt(11)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public Optional<Response> response(String owner, String id) {
        return query(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT id, owner, conversation_id, previous_response_id, status, model, instructions,"
                    + " created_at, completed_at, input_tokens, cached_tokens, output_tokens, error FROM responses WHERE id = ? AND owner = ?")) {
                p.setString(1, id);
                p.setString(2, owner);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    long completed = rs.getLong(9);
                    Long completedAt = rs.wasNull() ? null : completed;
                    Usage u = new Usage(rs.getInt(10), rs.getInt(11), rs.getInt(12));
                    return Optional.of(new Response(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getLong(8), completedAt, u, rs.getString(13)));
                }
            }
        });
    }

    @Override
    public List<Item> responseItems(String responseId) {
        return query(c -> selectItems(c, "SELECT " + ITEM_COLUMNS + " FROM items"
                + " WHERE response_id = ? ORDER BY seq", responseId));
    }

    /**
     * Replicas share this database (PostgreSQL): a server starting must leave the others' turns alone.
     * SQLite is one server per database file (replicas need PostgreSQL): whatever is in progress at
     * start was left by a server that stopped.
     */
    protected boolean sharedByReplicas() {
        return true;
    }

    /**
     * Marks responses left in progress by servers that are gone incomplete: in a database replicas share,
     * those without a heartbeat within the lease (or none recorded: a server from before replicas), so a
     * live replica's turns are left alone; in SQLite's one-server file, all of them.
     */
    @Override
    public int recoverInterrupted() {
        return transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE responses SET status = 'incomplete', error = 'interrupted: the server stopped"
                    + " before the response completed' WHERE status = 'in_progress'" + (sharedByReplicas() ? " AND (instance IS NULL OR instance NOT IN"
                    + " (SELECT id FROM instances WHERE heartbeat_at >= ?))" : ""))) {
                if (sharedByReplicas()) p.setLong(1, System.currentTimeMillis() - LEASE_MS);
                return p.executeUpdate();
            }
        });
    }

    private static List<Item> insertItems(Connection c, String owner, String conversationId, String responseId, List<NewItem> items, String status,
                                          boolean output) throws SQLException {
        List<Item> out = new ArrayList<>(items.size());
        try (PreparedStatement p = c.prepareStatement("INSERT INTO items (id, owner, conversation_id, response_id, role, content, status,"
                + " created_at, type, call_id, name, output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (NewItem n : items) {
                String id = n.id() != null ? n.id() : Ids.next(switch (n.type()) {
                    case FUNCTION_CALL -> "fc_";
                    case FUNCTION_CALL_OUTPUT -> "fco_";
                    default -> "msg_";
                });
                Item it = new Item(id, conversationId, responseId, n.type(), n.role(), n.content(), n.callId(), n.name(), status, output, now());
                p.setString(1, it.id());
                p.setString(2, owner);
                if (conversationId != null) p.setString(3, conversationId);
                else p.setNull(3, Types.VARCHAR);
                if (responseId != null) p.setString(4, responseId);
                else p.setNull(4, Types.VARCHAR);
                p.setString(5, n.role());
                p.setString(6, text(n.content()));
                p.setString(7, status);
                p.setLong(8, it.createdAt());
                p.setString(9, n.type());
                if (n.callId() != null) p.setString(10, n.callId());
                else p.setNull(10, Types.VARCHAR);
                if (n.name() != null) p.setString(11, text(n.name()));
                else p.setNull(11, Types.VARCHAR);
                p.setInt(12, output ? 1 : 0);
                p.executeUpdate();
                out.add(it);
            }
        }
        return out;
    }

    private static List<Item> selectItems(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) p.setString(i + 1, args[i]);
            try (ResultSet rs = p.executeQuery()) {
                List<Item> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new Item(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                            rs.getString(7), rs.getString(8), rs.getString(9), rs.getInt(10) != 0, rs.getLong(11)));
                }
                return out;
            }
        }
    }

    // ---- the model registry ----

    private static final java.util.regex.Pattern MODEL_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    static void checkName(String what, String s) {
        if (s == null || !MODEL_NAME.matcher(s).matches()) {
            throw new RegistryException(RegistryException.Kind.INVALID, what + " '" + s + "' must be 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit");
        }
    }

    @Override
    public ModelVersion addVersion(String name, String version, String path, String sha256, long sizeBytes, List<Adapter> adapters) {
        checkName("model name", name);
        if (version != null) checkName("version", version);
        for (Adapter a : adapters) checkName("adapter name", a.name());
        return transaction(c -> {
            lockRegistry(c);
            String v = version;
            List<ModelVersion> have = selectVersions(c, name);
            if (v == null) {
                int n = have.size() + 1;
                java.util.Set<String> taken = new java.util.HashSet<>();
                for (ModelVersion m : have) taken.add(m.version());
                while (taken.contains("v" + n)) n++;
                v = "v" + n;
            }
            for (ModelVersion m : have) {
                if (m.version().equals(v)) {
                    throw new RegistryException("model " + name + " has a version " + v + " already (sha256 " + m.shortHash() + ", " + m.path()
                            + "); give another --version");
                }
            }
            long now = now();
            try (PreparedStatement p = c.prepareStatement("INSERT INTO model_versions (name, version, path, sha256, size_bytes, adapters, added_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                p.setString(1, name);
                p.setString(2, v);
                p.setString(3, path);
                p.setString(4, sha256);
                p.setLong(5, sizeBytes);
                p.setString(6, JSON.writeValueAsString(adapters));
                p.setLong(7, now);
                p.executeUpdate();
            }
            return new ModelVersion(name, v, path, sha256, sizeBytes, List.copyOf(adapters), now, false);
        });
    }

    private List<ModelVersion> selectVersions(Connection c, String name) throws SQLException, JsonProcessingException {
        Map<String, String> promoted = new java.util.HashMap<>();
        try (PreparedStatement p = c.prepareStatement("SELECT name, version FROM model_promotions WHERE rolled_back_at IS NULL"
                + (name != null ? " AND name = ?" : "") + " ORDER BY seq")) {
            if (name != null) p.setString(1, name);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) promoted.put(rs.getString(1), rs.getString(2)); // the newest per name wins
            }
        }
        try (PreparedStatement p = c.prepareStatement("SELECT name, version, path, sha256, size_bytes, adapters, added_at FROM model_versions"
                + (name != null ? " WHERE name = ?" : "") + " ORDER BY name, seq")) {
            if (name != null) p.setString(1, name);
            List<ModelVersion> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    List<Adapter> ads = JSON.readValue(rs.getString(6), new TypeReference<List<Adapter>>() {});
                    out.add(new ModelVersion(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), ads, rs.getLong(7),
                            rs.getString(2).equals(promoted.get(rs.getString(1)))));
                }
            }
            return out;
        }
    }

    @Override
    public List<ModelVersion> versions(String name) {
        return query(c -> selectVersions(c, name));
    }

    @Override
    public Optional<ModelVersion> version(String name, String version) {
        return versions(name).stream().filter(m -> m.version().equals(version)).findFirst();
    }

    @Override
    public Optional<ModelVersion> promoted(String name) {
        return versions(name).stream().filter(ModelVersion::promoted).findFirst();
    }

    private static RegistryException unknownVersion(String name, String version, List<ModelVersion> have) {
        if (have.isEmpty()) return new RegistryException(RegistryException.Kind.NOT_FOUND, "no model named " + name + " in the registry; add it with: jllm models add " + name + " FILE");
        return new RegistryException(RegistryException.Kind.NOT_FOUND, "model " + name + " has no version " + version + "; it has " + String.join(", ",
                have.stream().map(ModelVersion::version).toList()));
    }

    @Override
    public ModelVersion promote(String name, String version) {
        return transaction(c -> {
            lockRegistry(c);
            List<ModelVersion> have = selectVersions(c, name);
            ModelVersion m = have.stream().filter(x -> x.version().equals(version)).findFirst()
                    .orElseThrow(() -> unknownVersion(name, version, have));
            try (PreparedStatement p = c.prepareStatement("INSERT INTO model_promotions (name, version, promoted_at, action) VALUES (?, ?, ?, 'promote')")) {
                p.setString(1, name);
                p.setString(2, version);
                p.setLong(3, now());
                p.executeUpdate();
            }
            return new ModelVersion(m.name(), m.version(), m.path(), m.sha256(), m.sizeBytes(), m.adapters(), m.addedAt(), true);
        });
    }

    @Override
    public ModelVersion rollbackTarget(String name) {
        return query(c -> rollback(c, name, false));
    }

    @Override
    public ModelVersion rollback(String name) {
        return transaction(c -> {
            lockRegistry(c);
            return rollback(c, name, true);
        });
    }

    private ModelVersion rollback(Connection c, String name, boolean apply) throws SQLException, JsonProcessingException {
        {
            List<Promotion> live = new ArrayList<>();
            for (Promotion p : selectPromotions(c, name)) if (p.rolledBackAt() == null) live.add(p); // newest first
            if (live.isEmpty()) {
                if (selectVersions(c, name).isEmpty()) {
                    throw new RegistryException(RegistryException.Kind.NOT_FOUND, "no model named " + name + " in the registry");
                }
                throw new RegistryException("model " + name + " has no promoted version to roll back");
            }
            String current = live.getFirst().version();
            Promotion back = null;
            List<Long> undo = new ArrayList<>();
            for (Promotion p : live) {
                if (p.version().equals(current)) {
                    undo.add(p.seq());
                } else {
                    back = p;
                    break;
                }
            }
            if (back == null) throw new RegistryException("model " + name + " has no version promoted before " + current + " to roll back to");
            long now = now();
            try (PreparedStatement p = c.prepareStatement("UPDATE model_promotions SET rolled_back_at = ? WHERE seq = ?")) {
                for (long seq : apply ? undo : List.<Long>of()) {
                    p.setLong(1, now);
                    p.setLong(2, seq);
                    p.executeUpdate();
                }
            }
            String to = back.version();
            ModelVersion m = selectVersions(c, name).stream().filter(x -> x.version().equals(to)).findFirst()
                    .orElseThrow(() -> new RegistryException("model " + name + ": version " + to + " is gone from the registry"));
            return new ModelVersion(m.name(), m.version(), m.path(), m.sha256(), m.sizeBytes(), m.adapters(), m.addedAt(), apply || m.promoted());
        }
    }

    private static List<Promotion> selectPromotions(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT seq, name, version, promoted_at, rolled_back_at, action FROM model_promotions"
                + " WHERE name = ? ORDER BY seq DESC")) {
            p.setString(1, name);
            List<Promotion> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    long rb = rs.getLong(5);
                    Long rolledBack = rs.wasNull() ? null : rb;
                    out.add(new Promotion(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rolledBack, rs.getString(6)));
                }
            }
            return out;
        }
    }

    @Override
    public List<Promotion> promotions(String name) {
        return query(c -> selectPromotions(c, name));
    }

    protected final StoreException error(Exception e) {
        return new StoreException("database error in " + location() + ": " + e.getMessage(), e);
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
