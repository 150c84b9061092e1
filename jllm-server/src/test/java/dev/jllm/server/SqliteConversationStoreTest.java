package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteConversationStoreTest {
    @TempDir Path dir;

    private static ConversationStore.Response response(String id, String owner, String conv) {
        return new ConversationStore.Response(id, owner, conv, null, "in_progress", "m", null, 1, null, null, null);
    }

    @Test
    void migratesOnceIntoWalModeAndReopens() throws Exception {
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            assertEquals(1, s.schemaVersion());
        }
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            assertEquals(1, s.schemaVersion());
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("jllm.db"));
             ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
            assertEquals("wal", rs.getString(1));
        }
    }

    @Test
    void aCompletedTurnSurvivesAndAnInterruptedOneLeavesNoItemsAndIsMarkedIncomplete() throws Exception {
        String conv;
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            conv = s.createConversation("k1", Map.of("topic", "dogs"), List.of(new ConversationStore.NewItem("system", "Be brief."))).id();
            s.beginResponse(response("resp_1", "k1", conv));
            s.completeResponse("resp_1", List.of(new ConversationStore.NewItem("user", "hi")), new ConversationStore.NewItem("msg_out1", "assistant", "hello"),
                    new ConversationStore.Usage(10, 0, 3), "completed");
            // turn 2 starts streaming, then the process dies: nothing but the in_progress row was written
            s.beginResponse(response("resp_2", "k1", conv));
        }
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            List<ConversationStore.Item> items = s.items("k1", conv);
            assertEquals(List.of("system", "user", "assistant"), items.stream().map(ConversationStore.Item::role).toList());
            assertEquals("hello", items.get(2).content());
            assertEquals("msg_out1", items.get(2).id());
            assertEquals("completed", s.response("k1", "resp_1").orElseThrow().status());
            assertEquals(new ConversationStore.Usage(10, 0, 3), s.response("k1", "resp_1").orElseThrow().usage());
            ConversationStore.Response interrupted = s.response("k1", "resp_2").orElseThrow();
            assertEquals("incomplete", interrupted.status());
            assertTrue(interrupted.error().contains("interrupted"));
            assertTrue(s.responseItems("resp_2").isEmpty());
            assertEquals(Map.of("topic", "dogs"), s.conversation("k1", conv).orElseThrow().metadata());
        }
    }

    @Test
    void aTurnIsOneTransaction() throws Exception {
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            String conv = s.createConversation("k1", Map.of(), List.of()).id();
            s.beginResponse(response("resp_1", "k1", conv));
            s.completeResponse("resp_1", List.of(new ConversationStore.NewItem("user", "a")), new ConversationStore.NewItem("msg_x", "assistant", "b"),
                    new ConversationStore.Usage(1, 0, 1), "completed");
            s.beginResponse(response("resp_2", "k1", conv));
            // the output item id collides: the insert fails after the user item went in, and the whole turn rolls back
            assertThrows(SqliteConversationStore.StoreException.class, () -> s.completeResponse("resp_2",
                    List.of(new ConversationStore.NewItem("user", "c")), new ConversationStore.NewItem("msg_x", "assistant", "d"),
                    new ConversationStore.Usage(1, 0, 1), "completed"));
            assertEquals(2, s.items("k1", conv).size());
            assertEquals("in_progress", s.response("k1", "resp_2").orElseThrow().status());
        }
    }

    @Test
    void anotherOwnerSeesNothing() throws Exception {
        try (SqliteConversationStore s = SqliteConversationStore.open(dir)) {
            String conv = s.createConversation("k1", Map.of(), List.of(new ConversationStore.NewItem("user", "secret"))).id();
            s.beginResponse(response("resp_1", "k1", conv));
            assertTrue(s.conversation("k2", conv).isEmpty());
            assertTrue(s.items("k2", conv).isEmpty());
            assertTrue(s.response("k2", "resp_1").isEmpty());
            assertFalse(s.deleteConversation("k2", conv));
            assertTrue(s.deleteConversation("k1", conv));
            assertTrue(s.conversation("k1", conv).isEmpty());
            assertTrue(s.response("k1", "resp_1").isEmpty(), "a conversation's responses go with it");
        }
    }
}
