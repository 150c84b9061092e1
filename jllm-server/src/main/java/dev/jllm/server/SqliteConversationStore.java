package dev.jllm.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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
 * {@link ConversationStore} in one SQLite file ({@code DATA_DIR/jllm.db}): WAL journal (readers never
 * block the writer), {@code synchronous=FULL} (a committed turn survives a power cut, not just a
 * process kill), versioned migrations in {@code schema_migrations}. One connection serialised by the
 * object's monitor: SQLite has one writer anyway and our statements are short.
 */
public final class SqliteConversationStore implements ConversationStore {
    /** Migration i creates schema version i + 1. Append only: never edit a released migration. */
    private record Migration(String description, String sql) {}

    private static final List<Migration> MIGRATIONS = List.of(new Migration("conversations, items, responses",
            """
            CREATE TABLE conversations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL, metadata TEXT NOT NULL);
            CREATE TABLE responses (id TEXT PRIMARY KEY, owner TEXT NOT NULL, conversation_id TEXT, previous_response_id TEXT,
                status TEXT NOT NULL, model TEXT NOT NULL, instructions TEXT, created_at INTEGER NOT NULL, completed_at INTEGER,
                input_tokens INTEGER, cached_tokens INTEGER, output_tokens INTEGER, error TEXT);
            CREATE TABLE items (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL,
                conversation_id TEXT, response_id TEXT, role TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE INDEX items_by_conversation ON items(conversation_id, seq);
            CREATE INDEX items_by_response ON items(response_id, seq);
            CREATE INDEX responses_by_conversation ON responses(conversation_id)
            """));

    private final Connection db;
    private final Path file;

    private SqliteConversationStore(Connection db, Path file) {
        this.db = db;
        this.file = file;
    }

    /** Opens (creating) {@code dataDir/jllm.db}, migrates it, and marks interrupted responses incomplete. */
    public static SqliteConversationStore open(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve("jllm.db");
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("PRAGMA foreign_keys=ON");
            }
            SqliteConversationStore store = new SqliteConversationStore(c, file);
            store.migrate();
            store.recoverInterrupted();
            return store;
        } catch (SQLException e) {
            throw new IOException("cannot open the conversation database " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** The schema version (number of migrations applied). */
    public synchronized int schemaVersion() {
        return query(() -> {
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")) {
                return rs.getInt(1);
            }
        });
    }

    private synchronized void migrate() throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        }
        int have = schemaVersion();
        if (have > MIGRATIONS.size()) {
            throw new SQLException("the database has schema version " + have + ", newer than this jllm (" + MIGRATIONS.size() + "); upgrade jllm");
        }
        for (int v = have + 1; v <= MIGRATIONS.size(); v++) {
            Migration m = MIGRATIONS.get(v - 1);
            final int version = v;
            transaction(() -> {
                try (Statement s = db.createStatement()) {
                    for (String sql : m.sql().split(";")) if (!sql.isBlank()) s.execute(sql);
                }
                try (PreparedStatement p = db.prepareStatement("INSERT INTO schema_migrations VALUES (?, ?, ?)")) {
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
    public synchronized Conversation createConversation(String owner, Map<String, String> metadata, List<NewItem> items) {
        Conversation c = new Conversation(Ids.next("conv_"), owner, now(), Map.copyOf(metadata));
        return transaction(() -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO conversations VALUES (?, ?, ?, ?)")) {
                p.setString(1, c.id());
                p.setString(2, owner);
                p.setLong(3, c.createdAt());
                p.setString(4, HttpIo.JSON.writeValueAsString(c.metadata()));
                p.executeUpdate();
            }
            insertItems(owner, c.id(), null, items, "completed");
            return c;
        });
    }

    @Override
    public synchronized Optional<Conversation> conversation(String owner, String id) {
        return query(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT id, owner, created_at, metadata FROM conversations WHERE id = ? AND owner = ?")) {
                p.setString(1, id);
                p.setString(2, owner);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    return Optional.of(new Conversation(rs.getString(1), rs.getString(2), rs.getLong(3),
                            HttpIo.JSON.readValue(rs.getString(4), new TypeReference<Map<String, String>>() {})));
                }
            }
        });
    }

    @Override
    public synchronized boolean deleteConversation(String owner, String id) {
        return transaction(() -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM conversations WHERE id = ? AND owner = ?")) {
                p.setString(1, id);
                p.setString(2, owner);
                if (p.executeUpdate() == 0) return false;
            }
            for (String sql : List.of("DELETE FROM items WHERE conversation_id = ?", "DELETE FROM responses WHERE conversation_id = ?")) {
                try (PreparedStatement p = db.prepareStatement(sql)) {
                    p.setString(1, id);
                    p.executeUpdate();
                }
            }
            return true;
        });
    }

    @Override
    public synchronized List<Item> items(String owner, String conversationId) {
        return query(() -> selectItems("SELECT id, conversation_id, response_id, role, content, status, created_at FROM items"
                + " WHERE conversation_id = ? AND owner = ? ORDER BY seq", conversationId, owner));
    }

    @Override
    public synchronized List<Item> addItems(String owner, String conversationId, List<NewItem> items) {
        return transaction(() -> insertItems(owner, conversationId, null, items, "completed"));
    }

    @Override
    public synchronized void beginResponse(Response r) {
        transaction(() -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO responses (id, owner, conversation_id, previous_response_id, status,"
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
    public synchronized Item completeResponse(String responseId, List<NewItem> input, NewItem output, Usage usage, String status) {
        return transaction(() -> {
            String owner, conversationId;
            try (PreparedStatement p = db.prepareStatement("SELECT owner, conversation_id FROM responses WHERE id = ?")) {
                p.setString(1, responseId);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) throw new SQLException("unknown response " + responseId);
                    owner = rs.getString(1);
                    conversationId = rs.getString(2);
                }
            }
            insertItems(owner, conversationId, responseId, input, "completed");
            Item out = insertItems(owner, conversationId, responseId, List.of(output), "completed").getFirst();
            try (PreparedStatement p = db.prepareStatement("UPDATE responses SET status = ?, completed_at = ?, input_tokens = ?,"
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
    public synchronized void failResponse(String responseId, String status, String error) {
        transaction(() -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE responses SET status = ?, completed_at = ?, error = ? WHERE id = ?")) {
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
    public synchronized Optional<Response> response(String owner, String id) {
        return query(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT id, owner, conversation_id, previous_response_id, status, model, instructions,"
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
    public synchronized List<Item> responseItems(String responseId) {
        return query(() -> selectItems("SELECT id, conversation_id, response_id, role, content, status, created_at FROM items"
                + " WHERE response_id = ? ORDER BY seq", responseId));
    }

    @Override
    public synchronized int recoverInterrupted() {
        return transaction(() -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE responses SET status = 'incomplete', error = 'interrupted: the server stopped"
                    + " before the response completed' WHERE status = 'in_progress'")) {
                return p.executeUpdate();
            }
        });
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw new IllegalStateException("closing " + file + ": " + e.getMessage(), e);
        }
    }

    private List<Item> insertItems(String owner, String conversationId, String responseId, List<NewItem> items, String status)
            throws SQLException {
        List<Item> out = new ArrayList<>(items.size());
        try (PreparedStatement p = db.prepareStatement("INSERT INTO items (id, owner, conversation_id, response_id, role, content, status,"
                + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (NewItem n : items) {
                Item it = new Item(n.id() != null ? n.id() : Ids.next("msg_"), conversationId, responseId, n.role(), n.content(), status, now());
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
                p.executeUpdate();
                out.add(it);
            }
        }
        return out;
    }

    private List<Item> selectItems(String sql, String... args) throws SQLException {
        try (PreparedStatement p = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) p.setString(i + 1, args[i]);
            try (ResultSet rs = p.executeQuery()) {
                List<Item> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new Item(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                            rs.getLong(7)));
                }
                return out;
            }
        }
    }

    private interface Work<T> {
        T run() throws SQLException, JsonProcessingException;
    }

    private <T> T transaction(Work<T> w) {
        try {
            db.setAutoCommit(false);
            try {
                T r = w.run();
                db.commit();
                return r;
            } catch (SQLException | JsonProcessingException | RuntimeException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("database error in " + file + ": " + e.getMessage(), e);
        }
    }

    private <T> T query(Work<T> w) {
        try {
            return w.run();
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("database error in " + file + ": " + e.getMessage(), e);
        }
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    /** A storage failure; the HTTP layer reports it as 500 without details. */
    public static final class StoreException extends RuntimeException {
        StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
