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
public abstract sealed class SqlConversationStore implements ConversationStore permits SqliteConversationStore, PostgresConversationStore {
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

    @Override
    public void ping() {
        query(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                return rs.next();
            }
        });
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
            try (PreparedStatement p = c.prepareStatement("INSERT INTO conversations VALUES (?, ?, ?, ?)")) {
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
            for (String sql : List.of("DELETE FROM items WHERE conversation_id = ?", "DELETE FROM responses WHERE conversation_id = ?")) {
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
        return transaction(c -> insertItems(c, owner, conversationId, null, items, "completed", false));
    }

    @Override
    public void beginResponse(Response r) {
        transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO responses (id, owner, conversation_id, previous_response_id, status,"
                    + " model, instructions, created_at) VALUES (?, ?, ?, ?, 'in_progress', ?, ?, ?)")) {
                p.setString(1, r.id());
                p.setString(2, r.owner());
                p.setString(3, r.conversationId());
                p.setString(4, r.previousResponseId());
                p.setString(5, r.model());
                p.setString(6, r.instructions());
                p.setLong(7, r.createdAt());
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public List<Item> completeResponse(String responseId, List<NewItem> input, List<NewItem> output, Usage usage, String status) {
        return transaction(c -> {
            String owner, conversationId;
            try (PreparedStatement p = c.prepareStatement("SELECT owner, conversation_id FROM responses WHERE id = ?")) {
                p.setString(1, responseId);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) throw new SQLException("unknown response " + responseId);
                    owner = rs.getString(1);
                    conversationId = rs.getString(2);
                }
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
            return out;
        });
    }

    @Override
    public void failResponse(String responseId, String status, String error) {
        transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE responses SET status = ?, completed_at = ?, error = ? WHERE id = ?")) {
                p.setString(1, status);
                p.setLong(2, now());
                p.setString(3, error);
                p.setString(4, responseId);
                p.executeUpdate();
            }
            return null;
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

    @Override
    public int recoverInterrupted() {
        return transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE responses SET status = 'incomplete', error = 'interrupted: the server stopped"
                    + " before the response completed' WHERE status = 'in_progress'")) {
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
                p.setString(6, n.content());
                p.setString(7, status);
                p.setLong(8, it.createdAt());
                p.setString(9, n.type());
                if (n.callId() != null) p.setString(10, n.callId());
                else p.setNull(10, Types.VARCHAR);
                if (n.name() != null) p.setString(11, n.name());
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

    protected final StoreException error(Exception e) {
        return new StoreException("database error in " + location() + ": " + e.getMessage(), e);
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
