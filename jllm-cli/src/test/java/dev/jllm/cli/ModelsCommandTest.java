package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jllm models add/list/promote/rollback} on the SQLite store, and their errors: one line, no trace. */
class ModelsCommandTest {
    @TempDir Path dir;

    private CliTest.Run run(String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--data-dir";
        all[args.length + 1] = dir.resolve("data").toString();
        return CliTest.run(all);
    }

    private static void noTrace(CliTest.Run r) {
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception") || r.err().contains("this is a bug"), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }

    @Test
    void addListPromoteRollback() throws Exception {
        Path stories = dev.jllm.testkit.TestData.path("models/stories260K.gguf");
        Path copy = Files.copy(stories, dir.resolve("stories-copy.gguf"));
        CliTest.Run list0 = CliTest.run("models", "list", "--data-dir", dir.resolve("nothing").toString());
        assertEquals(1, list0.code());
        assertTrue(list0.err().contains("no database at"), list0.err());

        CliTest.Run a1 = run("models", "add", "chat", stories.toString());
        assertEquals(0, a1.code(), a1.err());
        assertTrue(a1.out().contains("added chat v1  sha256 "), a1.out());
        assertTrue(a1.out().contains("jllm models promote chat v1"), a1.out());
        assertEquals(0, run("models", "add", "chat", copy.toString(), "--version", "exp-2").code());
        CliTest.Run dup = run("models", "add", "chat", copy.toString(), "--version", "exp-2");
        assertEquals(1, dup.code());
        assertTrue(dup.err().startsWith("jllm: error: model chat has a version exp-2 already"), dup.err());
        noTrace(dup);

        assertEquals(0, run("models", "promote", "chat", "v1").code());
        CliTest.Run p2 = run("models", "promote", "chat", "exp-2");
        assertEquals(0, p2.code(), p2.err());
        assertTrue(p2.out().contains("(was v1; jllm models rollback chat goes back to it)"), p2.out());
        CliTest.Run list = run("models", "list");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("* chat") && l.contains("exp-2")), list.out());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("  chat") && l.contains(" v1 ")), list.out());
        CliTest.Run json = run("models", "list", "chat", "--json");
        var arr = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
        assertEquals(2, arr.size());
        assertTrue(arr.get(1).get("promoted").asBoolean());
        assertEquals(64, arr.get(0).get("sha256").asText().length());

        CliTest.Run unknown = run("models", "promote", "chat", "v9");
        assertEquals(1, unknown.code());
        assertEquals("jllm: error: model chat has no version v9; it has v1, exp-2", unknown.err().strip());

        CliTest.Run back = run("models", "rollback", "chat");
        assertEquals(0, back.code(), back.err());
        assertTrue(back.out().startsWith("rolled back exp-2 → chat v1"), back.out());
        CliTest.Run none = run("models", "rollback", "chat");
        assertEquals(1, none.code());
        assertTrue(none.err().contains("no version promoted before v1"), none.err());

        Files.delete(copy);
        CliTest.Run missing = run("models", "promote", "chat", "exp-2");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("is missing: " + copy), missing.err());
        Files.write(copy, new byte[] {1, 2, 3});
        CliTest.Run changed = run("models", "promote", "chat", "exp-2");
        assertEquals(1, changed.code());
        assertTrue(changed.err().contains("hash mismatch"), changed.err());
        CliTest.Run notModel = run("models", "add", "chat", copy.toString());
        assertEquals(1, notModel.code());
        assertTrue(notModel.err().contains("is not a model jllm can serve"), notModel.err());
        CliTest.Run noFile = run("models", "add", "chat", dir.resolve("none.gguf").toString());
        assertTrue(noFile.err().contains("does not exist"), noFile.err());
        for (CliTest.Run r : new CliTest.Run[] {unknown, none, missing, changed, notModel, noFile}) noTrace(r);

        CliTest.Run both = CliTest.run("serve", "-m", stories.toString(), "--registry", "chat");
        assertEquals(1, both.code());
        assertTrue(both.err().contains("-m/--model and --registry exclude each other"), both.err());
    }
}
