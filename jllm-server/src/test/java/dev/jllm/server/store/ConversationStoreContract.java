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

    /** A plain JDBC connection to the same database (the migration test builds an old schema by hand). */
    abstract java.sql.Connection raw() throws Exception;

    abstract Migrations.Dialect dialect();

    static ConversationStore.GenerationRecord gen(String id, long ms, String model, String version, String status, int tokens, int chars,
                                                  boolean empty, boolean refusal) {
        return new ConversationStore.GenerationRecord(id, ms, "chat.completions", "k1", null, null, model, version, "ab".repeat(32), null,
                "{\"temperature\":0.0}", status, status.equals("failed") ? null : "stop", status.equals("failed") ? "boom" : null, 10, 2,
                tokens, chars, empty, refusal, status.equals("failed") ? -1 : 12.5, 40.25, "host:1");
    }

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
    void aStoredTurnRecordsWhatMadeItInTheSameTransaction() throws Exception {
        try (SqlConversationStore s = open()) {
            String conv = s.createConversation("k1", Map.of(), List.of()).id();
            s.beginResponse(response("resp_1", "k1", conv));
            ConversationStore.GenerationRecord made = new ConversationStore.GenerationRecord("resp_1", 1_700_000_000_123L, "responses", "k1",
                    "resp_1", conv, "chat", "v2", "cd".repeat(32), "terse", "{\"temperature\":0.7,\"top_p\":0.9,\"seed\":5}", "completed", "stop",
                    null, 17, 4, 9, 31, false, false, 8.5, 120.75, "node-a:8080");
            s.completeResponse("resp_1", List.of(item("user", "a")), List.of(new ConversationStore.NewItem("msg_x", "assistant", "b")),
                    new ConversationStore.Usage(17, 4, 9), "completed", made);
            assertEquals(made, s.generation("resp_1").orElseThrow());
            // a turn that fails to commit leaves no row behind (the same transaction)
            s.beginResponse(response("resp_2", "k1", conv));
            assertThrows(ConversationStore.StoreException.class, () -> s.completeResponse("resp_2", List.of(),
                    List.of(new ConversationStore.NewItem("msg_x", "assistant", "dup")), new ConversationStore.Usage(1, 0, 1), "completed",
                    gen("resp_2", 5, "chat", "v2", "completed", 1, 3, false, false)));
            assertTrue(s.generation("resp_2").isEmpty());
            s.failResponse("resp_2", "failed", "engine error", gen("resp_2", 6, "chat", "v2", "failed", 0, 0, false, false));
            ConversationStore.GenerationRecord failed = s.generation("resp_2").orElseThrow();
            assertEquals("failed", failed.status());
            assertEquals(-1, failed.ttftMs(), "no first token: NULL, read back as negative");
            assertEquals("failed", s.response("k1", "resp_2").orElseThrow().status());
        }
    }

    @Test
    void theGenerationsLogIsScannedAndBucketedByModelVersionAndHour() throws Exception {
        long h = 3_600_000L, t0 = 480_000 * h; // an hour boundary
        try (SqlConversationStore s = open()) {
            s.recordGenerations(List.of(
                    gen("g1", t0 + 10, "chat", "v1", "completed", 10, 40, false, false),
                    gen("g2", t0 + 20, "chat", "v1", "completed", 20, 80, false, false),
                    gen("g3", t0 + 30, "chat", "v1", "incomplete", 0, 0, true, false),
                    gen("g4", t0 + 40, "chat", "v1", "failed", 0, 0, false, false),
                    gen("g5", t0 + h + 1, "chat", "v2", "completed", 4, 16, false, true),
                    gen("g6", t0 + h + 2, "other", null, "completed", 7, 7, false, false)));
            List<String> seen = new ArrayList<>();
            s.scanGenerations(t0, t0 + 2 * h, "chat", g -> seen.add(g.id()));
            assertEquals(List.of("g1", "g2", "g3", "g4", "g5"), seen);
            seen.clear();
            s.scanGenerations(t0 + 15, t0 + h + 2, null, g -> seen.add(g.id()));
            assertEquals(List.of("g2", "g3", "g4", "g5"), seen, "[since, until)");
            List<ConversationStore.Bucket> b = s.generationBuckets(t0, h, null);
            assertEquals(List.of(
                    new ConversationStore.Bucket("chat", "v1", t0, 3, 30, 500, 120, 8000, 1, 1, 4),
                    new ConversationStore.Bucket("chat", "v2", t0 + h, 1, 4, 16, 16, 256, 1, 0, 1),
                    new ConversationStore.Bucket("other", null, t0 + h, 1, 7, 49, 7, 49, 0, 0, 1)), b);
            assertEquals(1, s.generationBuckets(t0 + h, h, "chat").size());
        }
    }

    @Test
    void aVersion2DatabaseMigratesKeepingItsAnswersInTheGenerationsLog() throws Exception {
        try (java.sql.Connection c = raw(); java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            for (int v = 1; v <= 2; v++) {
                for (String sql : Migrations.ALL.get(v - 1).sql(dialect()).split(";")) if (!sql.isBlank()) st.execute(sql);
                st.execute("INSERT INTO schema_migrations VALUES (" + v + ", 'v" + v + "', 0)");
            }
            st.execute("INSERT INTO conversations VALUES ('conv_1', 'k', 1, '{}')");
            st.execute("INSERT INTO responses (id, owner, conversation_id, status, model, created_at, completed_at, input_tokens, cached_tokens,"
                    + " output_tokens) VALUES ('resp_1', 'k', 'conv_1', 'completed', 'm', 100, 101, 12, 0, 5),"
                    + " ('resp_2', 'k', 'conv_1', 'completed', 'm', 200, 201, 20, 12, 1), ('resp_3', 'k', 'conv_1', 'completed', 'm', 300, 301, 30, 0, 7),"
                    + " ('resp_4', 'k', NULL, 'failed', 'm', 400, 401, NULL, NULL, NULL)");
            st.execute("INSERT INTO responses (id, owner, conversation_id, status, model, created_at) VALUES ('resp_5', 'k', 'conv_1', 'in_progress', 'm', 500)");
            st.execute("INSERT INTO items (id, owner, conversation_id, response_id, role, content, status, created_at, type, output) VALUES"
                    + " ('msg_a', 'k', 'conv_1', 'resp_1', 'user', 'question', 'completed', 100, 'message', 0),"
                    + " ('msg_b', 'k', 'conv_1', 'resp_1', 'assistant', 'héllo 🐕', 'completed', 101, 'message', 1),"
                    + " ('msg_c', 'k', 'conv_1', 'resp_2', 'assistant', '  ', 'completed', 201, 'message', 1),"
                    + " ('fc_d', 'k', 'conv_1', 'resp_3', 'assistant', '{}', 'completed', 301, 'function_call', 1)");
        }
        try (SqlConversationStore s = open()) {
            assertEquals(Migrations.ALL.size(), s.schemaVersion());
            ConversationStore.GenerationRecord g1 = s.generation("resp_1").orElseThrow();
            assertEquals(List.of("responses", "m", "completed", 12, 5, 7, false), List.of(g1.api(), g1.model(), g1.status(), g1.promptTokens(),
                    g1.outputTokens(), g1.outputChars(), g1.empty()), "7 code points in 'héllo 🐕'");
            assertEquals(100_000L, g1.createdMs());
            assertNull(g1.version(), "made before versions were recorded");
            assertEquals("conv_1", g1.conversationId());
            assertTrue(s.generation("resp_2").orElseThrow().empty(), "a blank answer");
            assertFalse(s.generation("resp_3").orElseThrow().empty(), "a function call is an answer");
            assertEquals("failed", s.generation("resp_4").orElseThrow().status());
            assertTrue(s.generation("resp_5").isEmpty(), "an interrupted response made nothing");
            assertEquals(List.of("question", "héllo 🐕"), s.items("k", "conv_1").stream().limit(2).map(ConversationStore.Item::content).toList());
        }
    }

    @Test
    void theRegistryNumbersVersionsMarksThePromotedOneAndRollsBackAsAStack() throws Exception {
        try (SqlConversationStore s = open()) {
            ModelRegistry.Adapter terse = new ModelRegistry.Adapter("terse", "/m/terse.gguf", "ef".repeat(32));
            ModelRegistry.ModelVersion v1 = s.addVersion("chat", null, "/m/a.gguf", "aa".repeat(32), 100, List.of());
            ModelRegistry.ModelVersion v2 = s.addVersion("chat", null, "/m/b.gguf", "bb".repeat(32), 200, List.of(terse));
            s.addVersion("chat", "exp", "/m/c.gguf", "cc".repeat(32), 300, List.of());
            assertEquals(List.of("v1", "v2"), List.of(v1.version(), v2.version()));
            var dup = assertThrows(ModelRegistry.RegistryException.class, () -> s.addVersion("chat", "v2", "/x", "dd".repeat(32), 1, List.of()));
            assertTrue(dup.getMessage().contains("has a version v2 already"), dup.getMessage());
            assertThrows(ModelRegistry.RegistryException.class, () -> s.addVersion("bad name", null, "/x", "dd".repeat(32), 1, List.of()));
            assertTrue(s.promoted("chat").isEmpty());
            var none = assertThrows(ModelRegistry.RegistryException.class, () -> s.rollback("chat"));
            assertTrue(none.getMessage().contains("no promoted version"), none.getMessage());
            var unknown = assertThrows(ModelRegistry.RegistryException.class, () -> s.promote("chat", "v9"));
            assertEquals(ModelRegistry.RegistryException.Kind.NOT_FOUND, unknown.kind);
            assertTrue(unknown.getMessage().contains("has no version v9; it has v1, v2, exp"), unknown.getMessage());
            assertEquals(ModelRegistry.RegistryException.Kind.NOT_FOUND, assertThrows(ModelRegistry.RegistryException.class,
                    () -> s.promote("nope", "v1")).kind);

            s.promote("chat", "v1");
            s.promote("chat", "v2");
            s.promote("chat", "v2"); // promoted twice: one rollback leaves it
            s.promote("chat", "exp");
            assertEquals("exp", s.promoted("chat").orElseThrow().version());
            assertEquals(List.of(false, false, true), s.versions("chat").stream().map(ModelRegistry.ModelVersion::promoted).toList());
            assertEquals("v2", s.rollbackTarget("chat").version());
            assertEquals("exp", s.promoted("chat").orElseThrow().version(), "rollbackTarget only looks");
            assertEquals("v2", s.rollback("chat").version());
            assertEquals(List.of(terse), s.promoted("chat").orElseThrow().adapters());
            assertEquals("v1", s.rollback("chat").version(), "both promotions of v2 are undone");
            var bottom = assertThrows(ModelRegistry.RegistryException.class, () -> s.rollback("chat"));
            assertTrue(bottom.getMessage().contains("no version promoted before v1"), bottom.getMessage());
            assertEquals("v1", s.promoted("chat").orElseThrow().version());
            List<ModelRegistry.Promotion> h = s.promotions("chat");
            assertEquals(List.of("exp", "v2", "v2", "v1"), h.stream().map(ModelRegistry.Promotion::version).toList());
            assertEquals(List.of(true, true, true, false), h.stream().map(p -> p.rolledBackAt() != null).toList());
            s.promote("chat", "v2");
            assertEquals("v2", s.promoted("chat").orElseThrow().version());
            assertEquals("v1", s.rollback("chat").version());
            assertEquals(3, s.versions(null).size());
        }
        try (SqlConversationStore s = open()) {
            assertEquals("v1", s.promoted("chat").orElseThrow().version(), "the registry is in the database");
        }
    }

    @Test
    void concurrentPromotionsEachLandWhole() throws Exception {
        try (SqlConversationStore s = open(); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (int i = 1; i <= 4; i++) s.addVersion("m", null, "/m/" + i, ("0" + i).repeat(32), i, List.of());
            List<Future<?>> f = new ArrayList<>();
            for (int r = 0; r < 20; r++) {
                String v = "v" + (1 + r % 4);
                f.add(pool.submit(() -> s.promote("m", v)));
            }
            for (Future<?> x : f) x.get(30, TimeUnit.SECONDS);
            assertEquals(20, s.promotions("m").size());
            assertEquals(s.promotions("m").getFirst().version(), s.promoted("m").orElseThrow().version());
            assertEquals(1, s.versions("m").stream().filter(ModelRegistry.ModelVersion::promoted).count());
        }
    }

    /** 30 hours of synthetic answers: v1 with ~400 characters, 40% shorter from hour 20; a failure and an empty answer every hour. */
    static List<ConversationStore.GenerationRecord> syntheticDay(long t0) {
        List<ConversationStore.GenerationRecord> rows = new ArrayList<>();
        java.util.SplittableRandom r = new java.util.SplittableRandom(42);
        for (int h = 0; h < 30; h++) {
            for (int i = 0; i < 30; i++) {
                long at = t0 + h * 3_600_000L + i * 100_000L;
                String id = "g" + h + "_" + i;
                if (i == 0) {
                    rows.add(gen(id, at, "chat", "v1", "failed", 0, 0, false, false));
                } else if (i == 1) {
                    rows.add(gen(id, at, "chat", "v1", "completed", 1, 0, true, false));
                } else {
                    int chars = (int) Math.round((h < 20 ? 400 : 240) * (0.7 + 0.6 * r.nextDouble()));
                    rows.add(gen(id, at, "chat", "v1", "completed", chars / 4, chars, false, false));
                }
            }
        }
        return rows;
    }

    @Test
    void theOpsReportAndTheDriftAlarmReadTheLogAlike() throws Exception {
        long h = 3_600_000L, t0 = 490_000 * h;
        List<ConversationStore.GenerationRecord> rows = syntheticDay(t0);
        try (SqlConversationStore s = open()) {
            for (int i = 0; i < rows.size(); i += 200) s.recordGenerations(rows.subList(i, Math.min(rows.size(), i + 200)));
            List<dev.jllm.server.ops.OpsReport.Row> report = dev.jllm.server.ops.OpsReport.of(s, t0, t0 + 30 * h, "chat", h);
            assertEquals(30, report.size());
            dev.jllm.server.ops.OpsReport.Row first = report.getFirst();
            List<ConversationStore.GenerationRecord> hour0 = rows.subList(0, 30);
            int[] chars = hour0.stream().filter(ConversationStore.GenerationRecord::answered).mapToInt(ConversationStore.GenerationRecord::outputChars).sorted().toArray();
            assertEquals(t0, first.startMs());
            assertEquals("v1", first.version());
            assertEquals(30, first.requests());
            assertEquals(29, first.answers());
            assertEquals(java.util.Arrays.stream(chars).average().orElseThrow(), first.meanChars(), 1e-9);
            assertEquals(chars[chars.length / 2], first.medianChars(), 1e-9);
            assertEquals(1 / 30.0, first.errorRate(), 1e-12);
            assertEquals(1 / 29.0, first.emptyRate(), 1e-12);
            assertEquals(12.5, first.medianTtftMs(), 1e-9);
            assertTrue(report.get(25).meanChars() < 0.7 * report.get(5).meanChars(), "the drop shows in the hourly means");

            io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            long[] now = {t0 + 19 * h + 1};
            try (dev.jllm.server.ops.DriftMonitor m = new dev.jllm.server.ops.DriftMonitor(s, meters, dev.jllm.server.ops.DriftDetector.Params.DEFAULT,
                    0, 14L * 24 * h, () -> now[0])) {
                var before = m.refresh().getFirst();
                assertFalse(before.lengthAlarm(), "hours 0-18: stable");
                now[0] = t0 + 30 * h;
                var after = m.refresh().getFirst();
                assertTrue(after.lengthAlarm(), "the drop from hour 20 raises the alarm: " + after);
                assertTrue(after.lengthAlarmSinceMs() >= t0 + 20 * h && after.lengthAlarmSinceMs() <= t0 + 22 * h, "within the window");
                assertEquals("v1", after.version());
                double drift = meters.get("jllm.output_length_drift").tag("model", "chat").tag("version", "v1").gauge().value();
                assertEquals(after.lengthCusum(), drift, 1e-9);
                assertEquals(1.0, meters.get("jllm.output_length_drift_alarm").tag("version", "v1").gauge().value());
                assertEquals(after.baselineChars(), meters.get("jllm.output_length_baseline_mean").tag("version", "v1").gauge().value(), 1e-9);
            }
        }
    }

    @Test
    void aSecondTurnOfAConversationAtOnceIsRefusedUntilTheFirstEnds() throws Exception {
        try (SqlConversationStore s = open()) {
            s.registerInstance("node-a", "http://a");
            String conv = s.createConversation("k1", Map.of(), List.of()).id();
            s.beginResponse(response("resp_1", "k1", conv), "node-a");
            var busy = assertThrows(ConversationStore.ConversationBusyException.class, () -> s.beginResponse(response("resp_2", "k1", conv), "node-a"));
            assertTrue(busy.getMessage().contains("conversation " + conv + " has a turn in progress (resp_1)"), busy.getMessage());
            assertThrows(ConversationStore.ConversationBusyException.class, () -> s.addItems("k1", conv, List.of(item("user", "meanwhile"))));
            assertTrue(s.response("k1", "resp_2").isEmpty(), "nothing of the refused turn is written");
            s.completeResponse("resp_1", List.of(item("user", "q1")), item("assistant", "a1"), new ConversationStore.Usage(1, 0, 1), "completed");
            s.beginResponse(response("resp_2", "k1", conv), "node-a");
            s.failResponse("resp_2", "failed", "engine error");
            s.addItems("k1", conv, List.of(item("user", "after")));
            s.beginResponse(response("resp_3", "k1", conv), "node-a");
            assertEquals(List.of("q1", "a1", "after"), s.items("k1", conv).stream().map(ConversationStore.Item::content).toList());
            // other conversations are not held up
            String other = s.createConversation("k1", Map.of(), List.of()).id();
            s.beginResponse(response("resp_4", "k1", other), "node-a");
        }
    }

    @Test
    void aDeadReplicasTurnsAreMarkedIncompleteAndItsConversationsFreedButALiveOnesAreLeftAlone() throws Exception {
        String conv, conv2;
        try (SqlConversationStore s = open()) {
            s.registerInstance("node-a", "http://a");
            s.registerInstance("node-b", "http://b");
            conv = s.createConversation("k1", Map.of(), List.of()).id();
            conv2 = s.createConversation("k1", Map.of(), List.of()).id();
            s.beginResponse(response("resp_a", "k1", conv), "node-a");
            s.beginResponse(response("resp_b", "k1", conv2), "node-b");
            s.heartbeat("node-b");
        }
        try (SqlConversationStore s = open()) { // a third server starting on the database
            if (s instanceof SqliteConversationStore) {
                // one server per SQLite file: what was in progress when it started is over; make it in progress again for the rest
                assertEquals("incomplete", s.response("k1", "resp_a").orElseThrow().status());
                s.transaction(c -> c.createStatement().executeUpdate("UPDATE responses SET status = 'in_progress' WHERE id IN ('resp_a', 'resp_b')"));
            } else {
                assertEquals("in_progress", s.response("k1", "resp_a").orElseThrow().status(), "a live replica's turn is not recovered");
            }
            assertThrows(ConversationStore.ConversationBusyException.class, () -> s.beginResponse(response("resp_x", "k1", conv), "node-b"));
            // node-a is killed: its heartbeat stops
            try (java.sql.Connection c = raw(); var st = c.createStatement()) {
                st.executeUpdate("UPDATE instances SET heartbeat_at = " + (System.currentTimeMillis() - ConversationStore.LEASE_MS - 1000) + " WHERE id = 'node-a'");
            }
            assertEquals(1, s.heartbeat("node-b"), "node-b's heartbeat marks node-a's turn incomplete");
            ConversationStore.Response dead = s.response("k1", "resp_a").orElseThrow();
            assertEquals("incomplete", dead.status());
            assertTrue(dead.error().contains("node-a stopped"), dead.error());
            assertEquals("in_progress", s.response("k1", "resp_b").orElseThrow().status());
            s.beginResponse(response("resp_retry", "k1", conv), "node-b"); // the client's retry is served
            // a turn that is taken for dead and then completes after all (a long pause) is not stored: the conversation moved on
            s.completeResponse("resp_retry", List.of(item("user", "q")), item("assistant", "a"), new ConversationStore.Usage(1, 0, 1), "completed");
            var late = assertThrows(ConversationStore.StoreException.class, () -> s.completeResponse("resp_a", List.of(item("user", "old")),
                    item("assistant", "stale"), new ConversationStore.Usage(1, 0, 1), "completed"));
            assertTrue(late.getMessage().contains("no longer in progress"), late.getMessage());
            assertEquals(List.of("q", "a"), s.items("k1", conv).stream().map(ConversationStore.Item::content).toList());
            s.unregisterInstance("node-b");
        }
    }

    @Test
    void twoStoresOnOneDatabaseSerialiseTurnsOfOneConversation() throws Exception {
        String conv;
        try (SqlConversationStore a = open(); SqlConversationStore b = open(); ExecutorService pool = Executors.newFixedThreadPool(8)) {
            a.registerInstance("node-a", "a");
            b.registerInstance("node-b", "b");
            conv = a.createConversation("k1", Map.of(), List.of()).id();
            java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger(), done = new java.util.concurrent.atomic.AtomicInteger();
            List<Future<?>> f = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                SqlConversationStore s = t % 2 == 0 ? a : b;
                String node = t % 2 == 0 ? "node-a" : "node-b";
                int id = t;
                f.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        String rid = "resp_" + id + "_" + i;
                        try {
                            s.beginResponse(response(rid, "k1", conv), node);
                        } catch (ConversationStore.ConversationBusyException e) {
                            busy.incrementAndGet();
                            continue;
                        }
                        s.completeResponse(rid, List.of(item("user", "q " + rid)), item("assistant", "a " + rid), new ConversationStore.Usage(1, 0, 1),
                                "completed");
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> x : f) x.get(60, TimeUnit.SECONDS);
            List<ConversationStore.Item> items = a.items("k1", conv);
            assertEquals(2 * done.get(), items.size());
            for (int i = 0; i < items.size(); i += 2) { // every turn whole and in one piece: q X then a X, never interleaved
                assertEquals(items.get(i).content().substring(2), items.get(i + 1).content().substring(2), "turn at " + i);
                assertEquals(items.get(i).responseId(), items.get(i + 1).responseId());
            }
            assertTrue(done.get() > 0 && busy.get() + done.get() == 80, "done " + done + ", refused " + busy);
        }
    }

    @Test
    void aTurnsTokenSequenceIsStoredForItsModel() throws Exception {
        try (SqlConversationStore s = open()) {
            String conv = s.createConversation("k1", Map.of(), List.of()).id();
            s.beginResponse(response("resp_1", "k1", conv), null);
            int[] seq = {1, 15043, 2, 0, -1, Integer.MAX_VALUE};
            s.completeResponse("resp_1", List.of(item("user", "q")), List.of(item("assistant", "a")), new ConversationStore.Usage(1, 0, 1), "completed",
                    null, conv, new ConversationStore.Sequence("aa".repeat(32), seq));
            assertArrayEquals(seq, s.sequence(conv, "aa".repeat(32)));
            assertNull(s.sequence(conv, "bb".repeat(32)), "another model's ids are not these");
            s.beginResponse(response("resp_2", "k1", conv), null);
            s.completeResponse("resp_2", List.of(), List.of(item("assistant", "b")), new ConversationStore.Usage(1, 0, 1), "completed", null, conv,
                    new ConversationStore.Sequence("bb".repeat(32), new int[] {7}));
            assertArrayEquals(new int[] {7}, s.sequence(conv, "bb".repeat(32)), "the newest turn's replaces it");
            assertTrue(s.deleteConversation("k1", conv));
            assertNull(s.sequence(conv, "bb".repeat(32)));
        }
    }

    @Test
    void aNulCharacterAModelEmittedIsStoredAsAReplacementCharacterInBothDatabases() throws Exception {
        try (SqlConversationStore s = open()) {
            String conv = s.createConversation("k1", Map.of(), List.of()).id();
            s.beginResponse(response("resp_nul", "k1", conv), null);
            s.completeResponse("resp_nul", List.of(item("user", "q")), item("assistant", "a\u0000b"), new ConversationStore.Usage(1, 0, 1), "completed");
            assertEquals("a\uFFFDb", s.items("k1", conv).get(1).content(), "PostgreSQL's text cannot hold U+0000");
        }
    }

    @Test
    void anotherOwnerSeesNothing() throws Exception {
        try (SqlConversationStore s = open()) {
            String conv = s.createConversation("k1", Map.of(), List.of(item("user", "secret"))).id();
            s.beginResponse(response("resp_1", "k1", conv));
            assertTrue(s.conversation("k2", conv).isEmpty());
            assertTrue(s.conversationExists(conv), "the admin endpoints see every owner's conversations");
            assertFalse(s.conversationExists("conv_none"));
            assertTrue(s.items("k2", conv).isEmpty());
            assertTrue(s.response("k2", "resp_1").isEmpty());
            assertFalse(s.deleteConversation("k2", conv));
            assertTrue(s.deleteConversation("k1", conv));
            assertTrue(s.conversation("k1", conv).isEmpty());
            assertFalse(s.conversationExists(conv));
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
