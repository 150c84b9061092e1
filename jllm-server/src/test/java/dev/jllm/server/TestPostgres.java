package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A schema of its own in the test PostgreSQL ({@code JLLM_TEST_PG_URL}, set up by ./build), dropped at
 * close: the URL of a database for replicas in one test. Without the variable the test fails with
 * the instructions, as the store's tests do.
 */
final class TestPostgres implements AutoCloseable {
    final String url;
    private final String base, schema;

    TestPostgres() throws Exception {
        base = System.getenv("JLLM_TEST_PG_URL");
        if (base == null || base.isBlank()) {
            fail("JLLM_TEST_PG_URL is not set, so replicas on PostgreSQL cannot be tested: run ./build (scripts/test-setup.sh starts"
                    + " PostgreSQL), or export JLLM_TEST_PG_URL=$(sudo scripts/test-postgres.sh)");
        }
        schema = "jllm_r" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        try (Connection c = admin()) {
            c.createStatement().execute("CREATE SCHEMA " + schema);
        }
        url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    Connection admin() throws Exception {
        java.net.URI u = new java.net.URI(base);
        String[] up = u.getUserInfo().split(":", 2);
        String q = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        return DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath() + q, up[0],
                up.length > 1 ? up[1] : null);
    }

    @Override
    public void close() throws Exception {
        try (Connection c = admin()) {
            c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
