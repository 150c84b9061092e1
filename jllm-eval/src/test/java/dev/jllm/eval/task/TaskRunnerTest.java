package dev.jllm.eval.task;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.eval.metrics.Bootstrap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner on a scripted target: resumption after an interruption, a torn last line, and a different run refused. */
class TaskRunnerTest {
    @TempDir Path tmp;

    /** Answers "A<n>" for prompt "Q<n>"; fails at the given call to play a crash. */
    static final class Scripted implements EvalTarget {
        final List<String> asked = java.util.Collections.synchronizedList(new ArrayList<>());
        int failAt = -1;

        @Override public Map<String, Object> describe() { return Map.of("kind", "scripted"); }
        @Override public String label() { return "scripted"; }
        @Override public boolean scoresLogLikelihood() { return false; }
        @Override public synchronized String generate(String prompt, Sampling s) throws IOException {
            if (asked.size() == failAt) throw new IOException("connection reset");
            asked.add(prompt);
            return prompt.replace('Q', 'A') + "\nmore";
        }
        @Override public Continuation logLikelihood(String c, String x) { throw new UnsupportedOperationException(); }
        @Override public Perplexity perplexity(String t, int ctx) { throw new UnsupportedOperationException(); }
        @Override public void close() {}
    }

    private TaskSpec task() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) sb.append("{\"id\": \"i").append(i).append("\", \"q\": \"Q").append(i).append("\", \"a\": \"A").append(i % 4).append("\"}\n");
        Files.writeString(tmp.resolve("t.jsonl"), sb.toString());
        Files.writeString(tmp.resolve("t.yaml"), "type: generate\ndata: t.jsonl\nid: id\nprompt: \"{q}\"\nanswer: a\nextract: first_line\n");
        return TaskSpecReader.read(tmp.resolve("t.yaml"));
    }

    private List<Prepared> prepared(TaskSpec s) throws Exception {
        TaskPrompts tp = new TaskPrompts(s, List.of());
        return TaskData.items(s).stream().map(tp::prepare).toList();
    }

    @Test
    void anInterruptedRunResumesWithoutRedoingFinishedItems() throws Exception {
        TaskSpec s = task();
        Path out = tmp.resolve("out");
        Scripted t = new Scripted();
        t.failAt = 3;
        TaskRunner r = new TaskRunner(s, t, 0, 0);
        try (ItemLog log = ItemLog.open(out, RunOutput.identity(s, t.describe(), r.sampling()))) {
            assertThrows(IOException.class, () -> r.run(prepared(s), log, n -> {}));
        }
        assertEquals(3, Files.readAllLines(out.resolve(ItemLog.ITEMS)).size());
        // a kill mid-write leaves a torn line: it is cut off and that item is redone
        Files.writeString(out.resolve(ItemLog.ITEMS), "{\"id\": \"i3\", \"prom", java.nio.file.StandardOpenOption.APPEND);
        Scripted t2 = new Scripted();
        List<ItemResult> res;
        try (ItemLog log = ItemLog.open(out, RunOutput.identity(s, t2.describe(), r.sampling()))) {
            assertEquals(3, log.done().size());
            res = new TaskRunner(s, t2, 0, 0).run(prepared(s), log, n -> {});
        }
        assertEquals(List.of("Q3", "Q4", "Q5"), t2.asked);
        assertEquals(List.of("i0", "i1", "i2", "i3", "i4", "i5"), res.stream().map(ItemResult::id).toList());
        assertEquals(List.of("A0", "A1", "A2", "A3", "A4", "A5"), res.stream().map(ItemResult::answer).toList());
        // A4 and A5 are wrong (references A0 and A1): 4 of 6
        TaskScores sc = TaskScores.of(s, res, Bootstrap.Config.DEFAULT);
        assertEquals(100.0 * 4 / 6, sc.metrics().getFirst().interval().value(), 1e-9);
        assertEquals(6, Files.readAllLines(out.resolve(ItemLog.ITEMS)).size());
    }

    @Test
    void concurrentRequestsGiveTheSameResultsInTheItemsOrder() throws Exception {
        TaskSpec s = task();
        Scripted t = new Scripted();
        TaskRunner r = new TaskRunner(s, t, 0, 0);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        List<ItemResult> res;
        try (ItemLog log = ItemLog.open(tmp.resolve("c"), RunOutput.identity(s, t.describe(), r.sampling()))) {
            res = r.run(prepared(s), log, n -> calls.incrementAndGet(), 3);
        }
        assertEquals(6, calls.get());
        assertEquals(6, t.asked.size());
        assertEquals(List.of("A0", "A1", "A2", "A3", "A4", "A5"), res.stream().map(ItemResult::answer).toList());
    }

    @Test
    void aFolderOfAnotherRunIsRefused() throws Exception {
        TaskSpec s = task();
        Path out = tmp.resolve("o2");
        Scripted t = new Scripted();
        try (ItemLog log = ItemLog.open(out, RunOutput.identity(s, t.describe(), new EvalTarget.Sampling(64, 0, 0, List.of())))) {
            assertTrue(log.done().isEmpty());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ItemLog.open(out, RunOutput.identity(s, t.describe(), new EvalTarget.Sampling(64, 0.7, 0, List.of()))));
        assertTrue(e.getMessage().contains("holds a different run") && e.getMessage().contains("'sampling'"), e.getMessage());
    }

    @Test
    void multipleChoiceOnATargetWithoutLogprobsIsAnErrorNotASkip() throws Exception {
        Files.writeString(tmp.resolve("m.jsonl"), "{\"q\": \"x\", \"c\": [\"a\", \"b\"], \"g\": 0}\n");
        Files.writeString(tmp.resolve("m.yaml"), "type: multiple_choice\ndata: m.jsonl\nprompt: \"{q}\"\nchoices_field: c\nanswer: g\n");
        TaskSpec s = TaskSpecReader.read(tmp.resolve("m.yaml"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TaskRunner(s, new Scripted(), 0, 0));
        assertTrue(e.getMessage().contains("m.yaml") && e.getMessage().contains("this target cannot give") && e.getMessage().contains("-m MODEL.gguf"),
                e.getMessage());
    }
}
