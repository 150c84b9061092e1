package dev.jllm.server.store;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link ConversationStore} must do, run against each implementation by a subclass:
 * migrations, the one-transaction turn, crash recovery, ownership, ordering, concurrency.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class ConversationStoreContract {

    /** Opens the store under test on the same database every time it is called within one test. */
    abstract SqlConversationStore open() throws Exception;

    static ConversationStore.Response response(String id, String owner, String conv) {
        return new ConversationStore.Response(id, owner, conv, null, "in_progress", "m", null, 1, null, null, null);
    }

    static ConversationStore.NewItem item(String role, String content) {
        return new ConversationStore.NewItem(role, content);
    }

    @Test
    void pingAnswersWhileTheDatabaseIsThereAndFailsAfterwards() throws Exception {
        SqlConversationStore s = open();
        s.ping();
        s.close();
        assertThrows(ConversationStore.StoreException.class, s::ping, "/ready must see a store that is gone");
    }

    @Test
    void listsOnlyTheOwnersConversationsUpToTheLimit() throws Exception {
        String a = Ids.next("owner-a-"), b = Ids.next("owner-b-"); // unique: the database may be shared by earlier tests
        try (SqlConversationStore s = open()) {
            List<String> mine = new ArrayList<>();
            for (int i = 0; i < 3; i++) mine.add(s.createConversation(a, Map.of("title", "t" + i), List.of()).id());
            String theirs = s.createConversation(b, Map.of(), List.of()).id();
            List<ConversationStore.Conversation> got = s.conversations(a, 10);
            assertEquals(new java.util.HashSet<>(mine), new java.util.HashSet<>(got.stream().map(ConversationStore.Conversation::id).toList()));
            assertTrue(got.stream().allMatch(c -> c.owner().equals(a) && c.metadata().get("title").startsWith("t")));
            for (int i = 1; i < got.size(); i++) assertTrue(got.get(i - 1).createdAt() >= got.get(i).createdAt(), "newest first");
            assertEquals(2, s.conversations(a, 2).size());
            assertEquals(List.of(theirs), s.conversations(b, 10).stream().map(ConversationStore.Conversation::id).toList());
            assertEquals(List.of(), s.conversations(Ids.next("nobody-"), 10));
        }
    }

    @Test
    void migratesOnceAndReopens() throws Exception {
        try (SqlConversationStore s = open()) {
            assertEquals(Migrations.ALL.size(), s.schemaVersion());
        }
        try (SqlConversationStore s = open()) {
            assertEquals(Migrations.ALL.size(), s.schemaVersion());
        }
    }

    @Test
    void functionCallsAndTheirOutputsKeepTheirFieldsOrderAndOutputFlag() throws Exception {
        String conv;
        try (SqlConversationStore s = open()) {
            conv = s.createConversation("k1", Map.of(), List.of(item("user", "weather?"))).id();
            s.beginResponse(response("resp_f", "k1", conv));
            s.completeResponse("resp_f", List.of(), List.of(new ConversationStore.NewItem("msg_f", "assistant", "checking"),
                    ConversationStore.NewItem.functionCall("fc_1", "call_1", "get_weather", "{\"city\":\"Oslo\"}")),
                    new ConversationStore.Usage(5, 0, 9), "completed");
            s.addItems("k1", conv, List.of(ConversationStore.NewItem.functionCallOutput(null, "call_1", "-3 C")));
        }
        try (SqlConversationStore s = open()) {
            List<ConversationStore.Item> items = s.items("k1", conv);
            assertEquals(List.of("message", "message", "function_call", "function_call_output"), items.stream().map(ConversationStore.Item::type).toList());
            ConversationStore.Item call = items.get(2), out = items.get(3);
            assertEquals(List.of("fc_1", "call_1", "get_weather", "{\"city\":\"Oslo\"}", "assistant"),
                    List.of(call.id(), call.callId(), call.name(), call.content(), call.role()));
            assertTrue(out.id().startsWith("fco_"), out.id());
            assertEquals(List.of("call_1", "-3 C", "tool"), List.of(out.callId(), out.content(), out.role()));
            assertEquals(List.of(false, true, true, false), items.stream().map(ConversationStore.Item::output).toList());
            assertEquals(List.of("msg_f", "fc_1"), s.responseItems("resp_f").stream().map(ConversationStore.Item::id).toList());
        }
    }

    @Test
    void aCompletedTurnSurvivesAndAnInterruptedOneLeavesNoItemsAndIsMarkedIncomplete() throws Exception {
        String conv;
        try (SqlConversationStore s = open()) {
            conv = s.createConversation("k1", Map.of("topic", "dogs"), List.of(item("system", "Be brief."))).id();
            s.beginResponse(response("resp_1", "k1", conv));
            s.completeResponse("resp_1", List.of(item("user", "hi")), new ConversationStore.NewItem("msg_out1", "assistant", "hello"),
                    new ConversationStore.Usage(10, 0, 3), "completed");
            // turn 2 starts streaming, then the process dies: nothing but the in_progress row was written
            s.beginResponse(response("resp_2", "k1", conv));
        }
        try (SqlConversationStore s = open()) {
            List<ConversationStore.Item> items = s.items("k1", conv);
            assertEquals(List.of("system", "user", "assistant"), items.stream().map(ConversationStore.Item::role).toList());
            assertEquals("hello", items.get(2).content());
            assertEquals("msg_out1", items.get(2).id());
            assertEquals("completed", s.response("k1", "resp_1").orElseThrow().status());
            assertEquals(new ConversationStore.Usage(10, 0, 3), s.response("k1", "resp_1").orElseThrow().usage());
            assertNotNull(s.response("k1", "resp_1").orElseThrow().completedAt());
            ConversationStore.Response interrupted = s.response("k1", "resp_2").orElseThrow();
            assertEquals("incomplete", interrupted.status());
            assertTrue(interrupted.error().contains("interrupted"));
            assertTrue(s.responseItems("resp_2").isEmpty());
            assertEquals(Map.of("topic", "dogs"), s.conversation("k1", conv).orElseThrow().metadata());
            assertEquals(0, s.recoverInterrupted(), "recovery already ran on open");
        }
    }

    @Test
    void aTurnIsOneTransaction() throws Exception {
        try (SqlConversationStore s = open()) {
            String conv = s.createConversation("k1", Map.of(), List.of()).id();
            s.beginResponse(response("resp_1", "k1", conv));
            s.completeResponse("resp_1", List.of(item("user", "a")), new ConversationStore.NewItem("msg_x", "assistant", "b"),
                    new ConversationStore.Usage(1, 0, 1), "completed");
            s.beginResponse(response("resp_2", "k1", conv));
            // the output item id collides: the insert fails after the user item went in, and the whole turn rolls back
            ConversationStore.StoreException e = assertThrows(ConversationStore.StoreException.class, () -> s.completeResponse("resp_2",
                    List.of(item("user", "c")), new ConversationStore.NewItem("msg_x", "assistant", "d"),
                    new ConversationStore.Usage(1, 0, 1), "completed"));
            assertTrue(e.getMessage().startsWith("database error in " + s.location()), e.getMessage());
            assertEquals(2, s.items("k1", conv).size());
            assertEquals("in_progress", s.response("k1", "resp_2").orElseThrow().status());
        }
    }

    @Test
    void anotherOwnerSeesNothing() throws Exception {
        try (SqlConversationStore s = open()) {
            String conv = s.createConversation("k1", Map.of(), List.of(item("user", "secret"))).id();
            s.beginResponse(response("resp_1", "k1", conv));
            assertTrue(s.conversation("k2", conv).isEmpty());
            assertTrue(s.items("k2", conv).isEmpty());
            assertTrue(s.response("k2", "resp_1").isEmpty());
            assertFalse(s.deleteConversation("k2", conv));
            assertTrue(s.deleteConversation("k1", conv));
            assertTrue(s.conversation("k1", conv).isEmpty());
            assertTrue(s.response("k1", "resp_1").isEmpty(), "a conversation's responses go with it");
            assertTrue(s.items("k1", conv).isEmpty(), "and its items");
        }
    }

    @Test
    void responsesWithoutAConversationKeepTheirOwnItemsAndFailuresKeepNone() throws Exception {
        try (SqlConversationStore s = open()) {
            s.beginResponse(new ConversationStore.Response("resp_a", "k1", null, null, "in_progress", "m", "Be kind.", 5, null, null, null));
            s.completeResponse("resp_a", List.of(item("user", "q1")), item("assistant", "a1"), new ConversationStore.Usage(4, 1, 2), "incomplete");
            s.beginResponse(new ConversationStore.Response("resp_b", "k1", null, "resp_a", "in_progress", "m", null, 6, null, null, null));
            s.failResponse("resp_b", "failed", "engine error");
            ConversationStore.Response a = s.response("k1", "resp_a").orElseThrow();
            assertEquals("incomplete", a.status());
            assertEquals("Be kind.", a.instructions());
            assertNull(a.conversationId());
            assertEquals(List.of("q1", "a1"), s.responseItems("resp_a").stream().map(ConversationStore.Item::content).toList());
            ConversationStore.Response b = s.response("k1", "resp_b").orElseThrow();
            assertEquals("failed", b.status());
            assertEquals("resp_a", b.previousResponseId());
            assertEquals("engine error", b.error());
            assertTrue(s.responseItems("resp_b").isEmpty());
        }
    }

    @Test
    void itemsKeepTheirOrderAcrossManyTurnsAndUnicodeRoundTrips() throws Exception {
        try (SqlConversationStore s = open()) {
            String conv = s.createConversation("k1", Map.of("ключ", "値 🐕"), List.of()).id();
            List<String> want = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                s.addItems("k1", conv, List.of(item("user", "u" + i + " ünïcødé 🐈")));
                want.add("u" + i + " ünïcødé 🐈");
            }
            assertEquals(want, s.items("k1", conv).stream().map(ConversationStore.Item::content).toList());
            assertEquals(Map.of("ключ", "値 🐕"), s.conversation("k1", conv).orElseThrow().metadata());
        }
    }

    @Test
    void concurrentTurnsOnDifferentConversationsAllCommit() throws Exception {
        try (SqlConversationStore s = open(); ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<String>> convs = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                final int id = t;
                convs.add(pool.submit(() -> {
                    String conv = s.createConversation("k" + id, Map.of(), List.of()).id();
                    for (int turn = 0; turn < 5; turn++) {
                        String rid = "resp_" + id + "_" + turn;
                        s.beginResponse(response(rid, "k" + id, conv));
                        s.completeResponse(rid, List.of(item("user", "q" + turn)), item("assistant", "a" + turn),
                                new ConversationStore.Usage(1, 0, 1), "completed");
                    }
                    return conv;
                }));
            }
            for (int t = 0; t < 16; t++) {
                List<ConversationStore.Item> items = s.items("k" + t, convs.get(t).get(30, TimeUnit.SECONDS));
                assertEquals(10, items.size());
                for (int turn = 0; turn < 5; turn++) {
                    assertEquals("q" + turn, items.get(2 * turn).content());
                    assertEquals("a" + turn, items.get(2 * turn + 1).content());
                }
            }
        }
    }
}
