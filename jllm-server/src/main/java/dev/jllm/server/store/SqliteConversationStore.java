package dev.jllm.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * {@link ConversationStore} in one SQLite file ({@code DATA_DIR/jllm.db}): WAL journal (readers never
 * block the writer), {@code synchronous=FULL} (a committed turn survives a power cut, not just a
 * process kill). One connection serialised by the object's monitor: SQLite has one writer anyway
 * and our statements are short.
 */
public final class SqliteConversationStore extends SqlConversationStore {
    private final Connection db;
    private final Path file;

    private SqliteConversationStore(Connection db, Path file) {
        this.db = db;
        this.file = file;
    }

    /** Opens (creating) {@code dataDir/jllm.db}, migrates it, and marks interrupted responses incomplete. */
    public static SqliteConversationStore open(Path dataDir) throws IOException {
        return open(dataDir, true);
    }

    /**
     * @param recover mark responses a previous run left in progress incomplete (a server starting); false for
     *                tools that open the database beside running servers ({@code jllm models}, {@code jllm ops})
     */
    public static SqliteConversationStore open(Path dataDir, boolean recover) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve("jllm.db");
        Connection c;
        try {
            java.util.Properties props = new java.util.Properties();
            // BEGIN IMMEDIATE: a transaction takes the write lock first, so two processes on one file never deadlock upgrading a read
            props.setProperty("transaction_mode", "IMMEDIATE");
            c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), props);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("PRAGMA foreign_keys=ON");
            }
        } catch (SQLException e) {
            throw new IOException("cannot open the conversation database " + file + ": " + e.getMessage(), e);
        }
        SqliteConversationStore store = new SqliteConversationStore(c, file);
        try {
            store.migrate();
            if (recover) store.recoverInterrupted();
            return store;
        } catch (StoreException e) {
            store.close();
            throw new IOException("cannot open the conversation database " + file + ": " + e.getCause().getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public String location() {
        return file.toString();
    }

    @Override
    protected boolean sharedByReplicas() {
        return false;
    }

    @Override
    protected Migrations.Dialect dialect() {
        return Migrations.Dialect.SQLITE;
    }

    @Override
    protected synchronized <T> T transaction(Work<T> w) {
        try {
            return inTransaction(db, w);
        } catch (SQLException | JsonProcessingException e) {
            throw error(e);
        }
    }

    @Override
    protected synchronized <T> T query(Work<T> w) {
        try {
            return w.run(db);
        } catch (SQLException | JsonProcessingException e) {
            throw error(e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw new IllegalStateException("closing " + file + ": " + e.getMessage(), e);
        }
    }
}
