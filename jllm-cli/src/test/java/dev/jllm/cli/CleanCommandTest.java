package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CleanCommandTest {
    @TempDir Path tmp;

    @Test
    void seedPresetEndToEnd() throws Exception {
        Path in = tmp.resolve("docs.txt");
        String ok = "学而时习之，不亦说乎？有朋自远方来，不亦乐乎？人不知而不愠，不亦君子乎？".repeat(3);
        Files.write(in, List.of(ok, ok, "短", ok.replace("说", "說").replace("乐", "樂").replace("时", "時").replace("习", "習"), ok + "🎉"), StandardCharsets.UTF_8);
        CliTest.Run r = CliTest.run("clean", "--input", in.toString(), "--output", tmp.resolve("out").toString(), "--preset", "seed", "--rejected", "-t", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("clean: 5 docs in, 1 kept (20.0%)"), r.out());
        for (String f : List.of("length", "emoji", "simplified", "dedup:exact")) assertTrue(r.out().contains("dropped by " + f), r.out());
        assertEquals(1, Files.readAllLines(tmp.resolve("out/part-00000.jsonl")).size());
        assertEquals(4, Files.readAllLines(tmp.resolve("out/rejected/part-00000.jsonl")).size());
        assertTrue(Files.exists(tmp.resolve("out/report/report.html")));
        // a second run resumes: nothing left to do
        CliTest.Run again = CliTest.run("clean", "--input", in.toString(), "--output", tmp.resolve("out").toString(), "--preset", "seed", "--rejected");
        assertTrue(again.out().contains("this run: 0 of 1 shards (1 finished before)"), again.out());
    }

    @Test
    void errorsAreOneLine() throws Exception {
        Path in = tmp.resolve("a.jsonl");
        Files.writeString(in, "{\"instruction\": \"x\", \"output\": \"y\"}\n");
        CliTest.Run r = CliTest.run("clean", "--input", in.toString(), "--output", tmp.resolve("o").toString());
        assertEquals(1, r.code());
        assertEquals("jllm: error: " + in + ":1: no field 'text'; the object has: instruction, output (choose one with --text-field)", r.err().strip().lines().findFirst().orElseThrow());
        Path yaml = tmp.resolve("clean.yaml");
        Files.writeString(yaml, "filters:\n  lenght: {min: 3}\n");
        CliTest.Run y = CliTest.run("clean", "--input", in.toString(), "--output", tmp.resolve("o2").toString(), "--config", yaml.toString());
        assertTrue(y.err().startsWith("jllm: error: " + yaml + ": line 2: unknown key 'filters.lenght'"), y.err());
    }
}
