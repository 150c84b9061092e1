package dev.jllm.server.store;

import static org.junit.jupiter.api.Assertions.*;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store contract against a real PostgreSQL named by {@code JLLM_TEST_PG_URL}, each test in a
 * fresh schema (dropped afterwards). Without the variable these tests FAIL: a store nobody tests is
 * a store that does not work. ./build and .ci/run set it up via scripts/test-postgres.sh.
 */
class PostgresConversationStoreTest extends ConversationStoreContract {
    static final String ENV = "JLLM_TEST_PG_URL";
    private String schema;

    static String baseUrl() {
        String url = System.getenv(ENV);
        if (url == null || url.isBlank()) {
            fail(ENV + " is not set, so the PostgreSQL store cannot be tested. Start a local server with"
                    + " `export " + ENV + "=$(sudo scripts/test-postgres.sh)` (installs and starts Debian's postgresql, role and db"
                    + " jllm_test), or point it at yours: export " + ENV + "=postgres://user:pass@127.0.0.1:5432/db."
                    + " Plain ./build and .ci/run do this by themselves.");
        }
        return url;
    }

    private static Connection admin(String url) throws Exception {
        PostgresConversationStore.Target t = PostgresConversationStore.parse(url);
        return DriverManager.getConnection(t.jdbcUrl(), t.user(), t.password());
    }

    @BeforeEach
    void freshSchema() throws Exception {
        schema = "jllm_t" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        try (Connection c = admin(baseUrl()); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
    }

    @AfterEach
    void dropSchema() throws Exception {
        try (Connection c = admin(baseUrl()); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    private String url() {
        String base = baseUrl();
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    @Override
    SqlConversationStore open() throws Exception {
        return PostgresConversationStore.open(url(), 8);
    }

    @Override
    Connection raw() throws Exception {
        return admin(url());
    }

    @Override
    Migrations.Dialect dialect() {
        return Migrations.Dialect.POSTGRES;
    }

    @Test
    void serversStartingTogetherMigrateOnce() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<SqlConversationStore>> opening = new ArrayList<>();
            for (int i = 0; i < 4; i++) opening.add(pool.submit(this::open));
            for (Future<SqlConversationStore> f : opening) {
                try (SqlConversationStore s = f.get(30, TimeUnit.SECONDS)) {
                    assertEquals(Migrations.ALL.size(), s.schemaVersion());
                }
            }
        }
        try (Connection c = admin(url()); var rs = c.createStatement().executeQuery("SELECT count(*) FROM " + schema + ".schema_migrations")) {
            rs.next();
            assertEquals(Migrations.ALL.size(), rs.getInt(1));
        }
    }

    @Test
    void urlsAreParsedLikeLibpqAndPasswordsNeverShow() {
        var t = PostgresConversationStore.parse("postgresql://us%40er:p%3Ass@db.example:6543/chat?sslmode=require");
        assertEquals("jdbc:postgresql://db.example:6543/chat?sslmode=require", t.jdbcUrl());
        assertEquals("us@er", t.user());
        assertEquals("p:ss", t.password());
        assertFalse(t.display().contains("p%3Ass"), t.display());
        assertEquals("jdbc:postgresql://h:5432/d", PostgresConversationStore.parse("postgres://h/d").jdbcUrl());
        assertThrows(IllegalArgumentException.class, () -> PostgresConversationStore.parse("mysql://h/d"));
        var noDb = assertThrows(IllegalArgumentException.class, () -> PostgresConversationStore.parse("postgres://u:secret@h:1/"));
        assertTrue(noDb.getMessage().contains("no database name") && !noDb.getMessage().contains("secret"), noDb.getMessage());
    }

    @Test
    void anUnreachableServerIsAClearErrorAtOpen() {
        var e = assertThrows(java.io.IOException.class, () -> PostgresConversationStore.open("postgres://u:secret@127.0.0.1:1/none", 2));
        assertTrue(e.getMessage().startsWith("cannot connect to the conversation database postgres://u:***@127.0.0.1:1/none"), e.getMessage());
    }
}
