package dev.jllm.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * {@link ConversationStore} in PostgreSQL through a HikariCP pool: statements from different requests
 * run on different connections at once (the database serialises what must be), so unlike SQLite no
 * lock is held here. Same schema and migrations as SQLite ({@link Migrations}); a transaction-scoped
 * advisory lock keeps two servers starting at once from migrating twice.
 *
 * <p>Several {@code jllm serve} replicas may share one database: each heartbeats in {@code instances},
 * only a dead one's responses in progress are marked incomplete, and two turns of one conversation at
 * once are refused on its row lock (see {@link ConversationStore#beginResponse(Response, String)}).
 */
public final class PostgresConversationStore extends SqlConversationStore {
    /** Arbitrary, fixed: the advisory lock id migrations take ("jllm" in ASCII). */
    private static final long MIGRATION_LOCK = 0x6a6c6c6dL;

    private final HikariDataSource pool;
    private final String location;

    private PostgresConversationStore(HikariDataSource pool, String location) {
        this.pool = pool;
        this.location = location;
    }

    /** A {@code postgres://user:pass@host:port/db?param=value} URL as JDBC needs it. */
    record Target(String jdbcUrl, String user, String password, String display) {}

    /**
     * Parses {@code postgres://} or {@code postgresql://} URLs (libpq's form). Query parameters are
     * passed to the JDBC driver unchanged (e.g. {@code sslmode=require}, {@code currentSchema=s}).
     */
    static Target parse(String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--store: not a URL: " + e.getMessage());
        }
        if (!"postgres".equals(u.getScheme()) && !"postgresql".equals(u.getScheme())) {
            throw new IllegalArgumentException("--store must be postgres://user:pass@host:port/db, got scheme '" + u.getScheme() + "'");
        }
        if (u.getHost() == null) throw new IllegalArgumentException("--store " + redact(url) + ": no host");
        String db = u.getRawPath() == null ? "" : u.getRawPath().replaceFirst("^/", "");
        if (db.isEmpty()) throw new IllegalArgumentException("--store " + redact(url) + ": no database name (postgres://user:pass@host:port/DB)");
        String user = null, password = null;
        if (u.getRawUserInfo() != null) {
            String[] up = u.getRawUserInfo().split(":", 2);
            user = decode(up[0]);
            if (up.length == 2) password = decode(up[1]);
        }
        int port = u.getPort() == -1 ? 5432 : u.getPort();
        String host = u.getHost().contains(":") && !u.getHost().startsWith("[") ? "[" + u.getHost() + "]" : u.getHost();
        String jdbc = "jdbc:postgresql://" + host + ":" + port + "/" + db + (u.getRawQuery() != null ? "?" + u.getRawQuery() : "");
        return new Target(jdbc, user, password, redact(url));
    }

    /** The URL with its password replaced, for logs and errors. */
    static String redact(String url) {
        return url.replaceFirst("^([a-z]+://[^:/@]*):[^@/]*@", "$1:***@");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Connects (failing fast if the server is unreachable), migrates, and marks interrupted responses incomplete. */
    public static PostgresConversationStore open(String url, int poolSize) throws IOException {
        return open(url, poolSize, true);
    }

    /** @param recover as {@link SqliteConversationStore#open(java.nio.file.Path, boolean)} */
    public static PostgresConversationStore open(String url, int poolSize, boolean recover) throws IOException {
        Target t = parse(url);
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(t.jdbcUrl());
        if (t.user() != null) cfg.setUsername(t.user());
        if (t.password() != null) cfg.setPassword(t.password());
        cfg.setMaximumPoolSize(poolSize);
        cfg.setPoolName("jllm-store");
        cfg.setConnectionTimeout(10_000);
        cfg.setInitializationFailTimeout(10_000); // an unreachable server is an error at startup, not at the first request
        cfg.setDriverClassName("org.postgresql.Driver");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(cfg);
        } catch (RuntimeException e) {
            throw new IOException("cannot connect to the conversation database " + t.display() + ": " + rootMessage(e), e);
        }
        PostgresConversationStore store = new PostgresConversationStore(pool, t.display());
        try {
            store.migrate();
            if (recover) store.recoverInterrupted();
            return store;
        } catch (StoreException e) {
            store.close();
            throw new IOException("cannot open the conversation database " + t.display() + ": " + rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) e = e.getCause();
        return e.getMessage();
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    protected Migrations.Dialect dialect() {
        return Migrations.Dialect.POSTGRES;
    }

    @Override
    protected String forUpdate() {
        return " FOR UPDATE";
    }

    @Override
    protected void lockRegistry(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + (MIGRATION_LOCK + 1) + ")");
        }
    }

    @Override
    protected void lockForMigration(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
        }
    }

    @Override
    protected <T> T transaction(Work<T> w) {
        try (Connection c = pool.getConnection()) {
            return inTransaction(c, w);
        } catch (SQLException | JsonProcessingException e) {
            throw error(e);
        }
    }

    @Override
    protected <T> T query(Work<T> w) {
        try (Connection c = pool.getConnection()) {
            return w.run(c);
        } catch (SQLException | JsonProcessingException e) {
            throw error(e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
