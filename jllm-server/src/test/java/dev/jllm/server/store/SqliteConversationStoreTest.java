package dev.jllm.server.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteConversationStoreTest extends ConversationStoreContract {
    @TempDir Path dir;

    @Override
    SqlConversationStore open() throws Exception {
        return SqliteConversationStore.open(dir);
    }

    @Override
    Connection raw() throws Exception {
        return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("jllm.db"));
    }

    @Override
    Migrations.Dialect dialect() {
        return Migrations.Dialect.SQLITE;
    }

    @Test
    void theFileIsInWalMode() throws Exception {
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            assertEquals(dir.resolve("jllm.db"), s.file());
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("jllm.db"));
             ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
            assertEquals("wal", rs.getString(1));
        }
    }

    @Test
    void aDatabaseFromANewerJllmIsRefusedWithTheVersions() throws Exception {
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            s.transaction(c -> c.createStatement().executeUpdate("INSERT INTO schema_migrations VALUES (99, 'future', 0)"));
        }
        var e = assertThrows(java.io.IOException.class, () -> SqliteConversationStore.open(dir));
        assertTrue(e.getMessage().contains("schema version 99, newer than this jllm"), e.getMessage());
        assertTrue(Files.exists(dir.resolve("jllm.db")));
    }

    @Test
    void aVersion1DatabaseMigratesWithEachResponsesLastItemAsItsOutput() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("jllm.db"))) {
            var st = c.createStatement();
            st.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            for (String sql : Migrations.ALL.getFirst().sql(Migrations.Dialect.SQLITE).split(";")) if (!sql.isBlank()) st.execute(sql);
            st.execute("INSERT INTO schema_migrations VALUES (1, 'v1', 0)");
            st.execute("INSERT INTO conversations VALUES ('conv_1', 'k', 1, '{}')");
            st.execute("INSERT INTO responses (id, owner, conversation_id, status, model, created_at, completed_at) VALUES ('resp_1', 'k', 'conv_1', 'completed', 'm', 1, 2)");
            st.execute("INSERT INTO items (id, owner, conversation_id, response_id, role, content, status, created_at) VALUES"
                    + " ('msg_a', 'k', 'conv_1', NULL, 'system', 's', 'completed', 1), ('msg_b', 'k', 'conv_1', 'resp_1', 'user', 'q', 'completed', 1),"
                    + " ('msg_c', 'k', 'conv_1', 'resp_1', 'assistant', 'a', 'completed', 1)");
        }
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            assertEquals(Migrations.ALL.size(), s.schemaVersion());
            var items = s.items("k", "conv_1");
            assertEquals(java.util.List.of("message", "message", "message"), items.stream().map(ConversationStore.Item::type).toList());
            assertEquals(java.util.List.of(false, false, true), items.stream().map(ConversationStore.Item::output).toList());
        }
    }
}
