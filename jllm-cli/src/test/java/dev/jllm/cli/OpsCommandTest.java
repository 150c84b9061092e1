package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.server.store.ConversationStore;
import dev.jllm.server.store.PostgresConversationStore;
import dev.jllm.server.store.SqlConversationStore;
import dev.jllm.server.store.SqliteConversationStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm ops report} and {@code jllm ops drift} on synthetic rows of the generations log: the same
 * rows in SQLite and in PostgreSQL give the same report; the table names the versions, the PNG is drawn,
 * and the version whose answers got 40% shorter is the one the drift alarm points at.
 */
class OpsCommandTest {
    @TempDir Path dir;
    static final long H = 3_600_000L;

    /** 30 hours: v1 ~400 characters (40% shorter for its last 10 hours), v2 steady at ~300; one failure and one empty answer an hour each. */
    static List<ConversationStore.GenerationRecord> rows(long t0) {
        List<ConversationStore.GenerationRecord> out = new ArrayList<>();
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int h = 0; h < 30; h++) {
            for (int i = 0; i < 30; i++) {
                long at = t0 + h * H + i * 60_000L;
                int a = (int) Math.round((h < 20 ? 400 : 240) * (0.7 + 0.6 * r.nextDouble()));
                int b = (int) Math.round(300 * (0.7 + 0.6 * r.nextDouble()));
                out.add(rec("a" + h + "_" + i, at, "v1", i == 0 ? "failed" : "completed", i == 1 ? 0 : a));
                out.add(rec("b" + h + "_" + i, at, "v2", "completed", b));
            }
        }
        return out;
    }

    static ConversationStore.GenerationRecord rec(String id, long at, String version, String status, int chars) {
        boolean answered = !status.equals("failed");
        return new ConversationStore.GenerationRecord(id, at, "chat.completions", "local", null, null, "chat", version, "ab".repeat(32), null, "{}",
                status, answered ? "stop" : null, answered ? null : "boom", 30, 0, answered ? chars / 4 : 0, answered ? chars : 0, answered && chars == 0,
                false, answered ? 20 + chars / 100.0 : -1, 500, "h:1");
    }

    private static String json(String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(0, r.code(), r.err());
        return r.out();
    }

    @Test
    void reportAndDriftOnSqliteAndPostgresAlike() throws Exception {
        long t0 = (System.currentTimeMillis() / H - 30) * H;
        List<ConversationStore.GenerationRecord> rows = rows(t0);
        Path data = dir.resolve("data");
        try (SqlConversationStore s = SqliteConversationStore.open(data, false)) {
            s.recordGenerations(rows);
        }
        String since = java.time.Instant.ofEpochMilli(t0).toString();
        CliTest.Run table = CliTest.run("ops", "report", "--by", "hour", "--since", since, "--model", "chat", "--png", dir.resolve("r.png").toString(),
                "--data-dir", data.toString());
        assertEquals(0, table.code(), table.err());
        List<String> lines = table.out().lines().toList();
        assertTrue(lines.getFirst().startsWith("HOUR (UTC)") && lines.getFirst().contains("CHR mean") && lines.getFirst().contains("EMPTY%"), table.out());
        assertEquals(60, lines.stream().filter(l -> l.contains(" chat ")).count(), "30 hours × 2 versions");
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(dir.resolve("r.png").toFile());
        assertTrue(png.getWidth() >= 800 && png.getHeight() >= 900, png.getWidth() + "x" + png.getHeight());

        String sqliteJson = json("ops", "report", "--since", since, "--json", "--data-dir", data.toString());
        JsonNode rep = new ObjectMapper().readTree(sqliteJson);
        JsonNode first = rep.get(0);
        assertEquals("v1", first.get("version").asText());
        assertEquals(30, first.get("requests").asInt());
        assertEquals(29, first.get("answers").asInt());
        assertEquals(Math.round(1000.0 / 30) / 1000.0, first.get("error_rate").asDouble(), 1e-9);
        assertEquals(Math.round(1000.0 / 29) / 1000.0, first.get("empty_rate").asDouble(), 1e-9);
        JsonNode late = rep.get(2 * 25);
        assertEquals("v1", late.get("version").asText());
        assertTrue(late.get("mean_chars").asDouble() < 0.75 * first.get("mean_chars").asDouble(), "hour 25 of v1 shows the drop");

        JsonNode drift = new ObjectMapper().readTree(json("ops", "drift", "--json", "--data-dir", data.toString()));
        for (JsonNode s : drift) {
            assertEquals(s.get("version").asText().equals("v1"), s.get("lengthAlarm").asBoolean(), s.toString());
        }
        CliTest.Run driftTable = CliTest.run("ops", "drift", "--data-dir", data.toString());
        assertTrue(driftTable.out().lines().anyMatch(l -> l.startsWith("chat") && l.contains(" v1 ") && l.contains("YES")), driftTable.out());

        // the same rows in PostgreSQL (a schema of this test's own): the same report
        String base = PostgresUrl.get();
        String schema = "jllm_ops" + Long.toHexString(System.nanoTime());
        try (Connection c = admin(base)) {
            c.createStatement().execute("CREATE SCHEMA " + schema);
        }
        String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        try {
            try (SqlConversationStore s = PostgresConversationStore.open(url, 2, false)) {
                s.recordGenerations(rows);
            }
            assertEquals(sqliteJson, json("ops", "report", "--since", since, "--json", "--store", url), "SQLite and PostgreSQL agree");
            assertEquals(json("ops", "drift", "--json", "--data-dir", data.toString()), json("ops", "drift", "--json", "--store", url));
        } finally {
            try (Connection c = admin(base)) {
                c.createStatement().execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }

        CliTest.Run bad = CliTest.run("ops", "report", "--since", "yesterday", "--data-dir", data.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--since must be a time like 24h"), bad.err());
    }

    private static Connection admin(String url) throws Exception {
        java.net.URI u = new java.net.URI(url);
        String[] up = u.getUserInfo().split(":", 2);
        return DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath(), up[0], up[1]);
    }

    /** JLLM_TEST_PG_URL, as the server's store tests take it (./build sets it up). */
    static final class PostgresUrl {
        static String get() {
            String url = System.getenv("JLLM_TEST_PG_URL");
            if (url == null || url.isBlank()) fail("JLLM_TEST_PG_URL is not set: run ./build (it starts PostgreSQL) or export it (README, Tests)");
            return url;
        }
    }
}
