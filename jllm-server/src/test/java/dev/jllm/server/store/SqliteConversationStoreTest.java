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
}
