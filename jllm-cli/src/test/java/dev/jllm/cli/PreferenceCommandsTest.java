package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance checks of preference tuning on the seeded synthetic pairs (the chosen answer is more
 * cheerful), stories260K as the backbone, LoRA: the reward model reaches ≥ 0.9 held-out accuracy and
 * passes the collapse check, one trained on shuffled labels is flagged (exit 3), PPO's rewards from it
 * are its scores of the rollouts as conversations, and DPO raises the held-out rewards/accuracies and
 * rewards/margins.
 */
class PreferenceCommandsTest {
    @TempDir Path dir;

    Path pairs(String name, int count, long seed) {
        Path f = dir.resolve(name);
        CliTest.Run r = CliTest.run("demo", "preferences", "--count", String.valueOf(count), "--seed", String.valueOf(seed), "--out", f.toString());
        assertEquals(0, r.code(), r.err());
        return f;
    }

    @Test
    void rewardModelLearnsTheSyntheticPropertyAndACollapsedOneIsFlagged() throws Exception {
        String base = TestData.path("models/stories260K.gguf").toString();
        Path train = pairs("train.jsonl", 400, 1), held = pairs("held.jsonl", 120, 2);
        Path rm = dir.resolve("rm.gguf"), bad = dir.resolve("bad.gguf");
        List<String> common = List.of("--model", base, "--data", train.toString(), "--steps", "40", "--batch", "8", "--seq", "128", "--lr", "2e-3",
                "--val-fraction", "0", "-t", "2");
        CliTest.Run t = CliTest.run(concat(List.of("rm", "train"), common, List.of("--out", rm.toString())));
        assertEquals(0, t.code(), t.out() + t.err());
        CliTest.Run e = CliTest.run("rm", "eval", "--model", rm.toString(), "--data", held.toString(), "--json", "--report", dir.resolve("rep").toString(), "-t", "2");
        assertEquals(0, e.code(), e.out() + e.err());
        JsonNode j = new ObjectMapper().readTree(e.out());
        assertTrue(j.get("accuracy").asDouble() >= 0.9, "held-out accuracy " + j.get("accuracy"));
        assertFalse(j.get("collapsed").asBoolean(), j.toString());
        assertTrue(j.get("spearman_rho").asDouble() > 0.3, "ρ vs the margin column " + j.get("spearman_rho"));
        assertTrue(Files.exists(dir.resolve("rep/histogram.png")) && Files.readString(dir.resolve("rep/report.html")).contains("Not collapsed"));

        CliTest.Run tb = CliTest.run(concat(List.of("rm", "train"), common, List.of("--out", bad.toString(), "--shuffle-labels")));
        assertEquals(0, tb.code(), tb.out() + tb.err());
        CliTest.Run eb = CliTest.run("rm", "eval", "--model", bad.toString(), "--data", held.toString(), "--report", dir.resolve("bad").toString(), "-t", "2");
        assertEquals(RmEvalCommand.COLLAPSED, eb.code(), eb.out() + eb.err());
        assertTrue(eb.out().contains("COLLAPSED"), eb.out());
        assertTrue(Files.readString(dir.resolve("bad/report.html")).contains("color:#c00"), "a red line in the report");

        CliTest.Run s = CliTest.run("rm", "score", "--model", rm.toString(), "--data", held.toString(), "-t", "2");
        assertEquals(0, s.code(), s.err());
        assertEquals(120, s.out().strip().split("\n").length);

        // PPO with this reward model: every rollout's reward is the score jllm rm score gives the (prompt, answer) conversation,
        // i.e. the answer is rendered as the reward model saw answers in training (through the end-of-turn token)
        Path log = dir.resolve("ppolog");
        CliTest.Run p = CliTest.run("ppo", "--model", base, "--data", held.toString(), "--reward-model", rm.toString(), "--steps", "2", "--batch", "4",
                "--minibatch", "2", "--ppo-epochs", "1", "--max-new-tokens", "12", "--lr", "1e-3", "--out", dir.resolve("ppo.gguf").toString(),
                "--log", log.toString(), "-t", "2");
        assertEquals(0, p.code(), p.out() + p.err());
        ObjectMapper json = new ObjectMapper();
        List<String> samples = Files.readAllLines(log.resolve("samples.jsonl"));
        assertEquals(8, samples.size(), "2 steps of 4 rollouts");
        StringBuilder chats = new StringBuilder();
        for (String line : samples) {
            JsonNode r = json.readTree(line);
            chats.append(json.writeValueAsString(java.util.Map.of("messages", List.of(java.util.Map.of("role", "user", "content", r.get("prompt").asText()),
                    java.util.Map.of("role", "assistant", "content", r.get("response").asText().strip()))))).append('\n');
        }
        Path answers = dir.resolve("answers.jsonl");
        Files.writeString(answers, chats);
        CliTest.Run sc = CliTest.run("rm", "score", "--model", rm.toString(), "--data", answers.toString(), "-t", "2");
        assertEquals(0, sc.code(), sc.err());
        String[] scored = sc.out().strip().split("\n");
        double step1 = 0;
        for (int i = 0; i < samples.size(); i++) {
            double reward = json.readTree(samples.get(i)).get("reward").asDouble(), score = json.readTree(scored[i]).get("score").asDouble();
            assertEquals(score, reward, 1e-4 * Math.max(1, Math.abs(score)), "rollout " + i + ": " + samples.get(i));
            if (i < 4) step1 += reward / 4;
        }
        List<String> csv = Files.readAllLines(log.resolve("ppo.csv"));
        int col = List.of(csv.get(0).split(",")).indexOf("env/reward_mean");
        assertEquals(step1, Double.parseDouble(csv.get(1).split(",")[col]), 1e-4, "ppo.csv's mean reward of step 1");
    }

    @Test
    void dpoRaisesHeldOutAccuracyAndMargin() throws Exception {
        String base = TestData.path("models/stories260K.gguf").toString();
        Path train = pairs("train.jsonl", 300, 3);
        Path log = dir.resolve("log");
        CliTest.Run r = CliTest.run("dpo", "--model", base, "--data", train.toString(), "--steps", "20", "--batch", "8", "--seq", "128", "--lr", "2e-3",
                "--beta", "0.1", "--val-fraction", "0.2", "--eval-every", "0", "--out", dir.resolve("a.gguf").toString(), "--log", log.toString(), "-t", "2");
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> eval = Files.readAllLines(log.resolve("eval.csv"));
        List<String> head = List.of(eval.get(0).split(","));
        String[] first = eval.get(1).split(","), last = eval.getLast().split(",");
        int acc = head.indexOf("rewards/accuracies"), margin = head.indexOf("rewards/margins");
        for (String m : List.of("rewards/chosen", "rewards/rejected", "logps/chosen", "logps/rejected")) assertTrue(head.contains(m), m);
        assertEquals(0.0, Double.parseDouble(first[acc]), "before training the policy is the reference: no implicit reward");
        assertTrue(Double.parseDouble(last[acc]) >= 0.9, "held-out rewards/accuracies " + last[acc]);
        assertTrue(Double.parseDouble(last[margin]) > 1, "held-out rewards/margins " + last[margin]);
        assertTrue(Files.exists(log.resolve("dpo.png")) && Files.exists(log.resolve("train.csv")));
    }

    @Test
    void dpoAndRmTrainResumeFromTheirCheckpoint() throws Exception {
        String base = TestData.path("models/stories260K.gguf").toString();
        Path pairs = pairs("pairs.jsonl", 40, 5);
        for (List<String> cmd : List.of(List.of("dpo"), List.of("rm", "train"))) {
            Path out = dir.resolve(cmd.getLast() + ".gguf"), log = dir.resolve(cmd.getLast() + "-log");
            List<String> args = List.of("--model", base, "--data", pairs.toString(), "--steps", "3", "--batch", "4", "--seq", "128", "--lr", "2e-3",
                    "--eval-every", "0", "--out", out.toString(), "--log", log.toString(), "-t", "2", "--resume");
            CliTest.Run first = CliTest.run(concat(cmd, args));
            assertEquals(0, first.code(), first.out() + first.err());
            assertTrue(first.out().contains("no checkpoint at " + out + ".ckpt: starting from step 0"), first.out());
            assertTrue(Files.exists(Path.of(out + ".ckpt")), "the checkpoint is saved at the end (default OUT.ckpt)");
            byte[] written = Files.readAllBytes(out);
            String csv = Files.readString(log.resolve("train.csv"));
            // the same command again: it resumes at step 3 of 3, trains nothing, and writes the same file from the restored weights
            CliTest.Run again = CliTest.run(concat(cmd, args));
            assertEquals(0, again.code(), again.out() + again.err());
            assertTrue(again.out().contains("resumed from " + out + ".ckpt at step 3"), again.out());
            assertFalse(again.out().contains("step 1/3"), again.out());
            assertArrayEquals(written, Files.readAllBytes(out), cmd + ": the output written from the checkpoint");
            assertEquals(csv, Files.readString(log.resolve("train.csv")), cmd + ": the log keeps its rows");
        }
    }

    @Test
    void ppoTakesItsPromptsFromPreferenceDataInEachForm() throws Exception {
        String base = TestData.path("models/stories260K.gguf").toString();
        Path trl = dir.resolve("trl.jsonl");
        Files.writeString(trl, """
                {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me about Sam."}], "chosen": [{"role": "assistant", "content": "Sam was happy."}], "rejected": [{"role": "assistant", "content": "Sam was sad."}]}
                {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me about Sue."}], "chosen": [{"role": "assistant", "content": "Sue smiled."}], "rejected": [{"role": "assistant", "content": "Sue cried."}]}
                """);
        ObjectMapper json = new ObjectMapper();
        // LLaMA-Factory's dpo_en_demo (ShareGPT conversations + chosen/rejected) and TRL's conversational form (a system turn kept)
        java.util.Set<String> fixture = new java.util.HashSet<>();
        for (JsonNode r : json.readTree(TestData.path("sft/dpo_en_demo.20.json").toFile())) fixture.add(r.get("conversations").get(0).get("value").asText());
        for (Path data : List.of(TestData.path("sft/dpo_en_demo.20.json"), trl)) {
            Path log = dir.resolve("log-" + data.getFileName());
            CliTest.Run r = CliTest.run("ppo", "--model", base, "--data", data.toString(), "--reward", "length", "--steps", "1", "--batch", "2",
                    "--minibatch", "2", "--ppo-epochs", "1", "--max-new-tokens", "24", "--out", dir.resolve("p.gguf").toString(),
                    "--log", log.toString(), "-t", "2");
            assertEquals(0, r.code(), r.out() + r.err());
            // stories260K's context is 128, the default --seq then: long prompts are cut to leave room for the answer
            if (data != trl) assertTrue(r.out().contains("prompts cut to 104 tokens (their first token and their end) to leave --max-new-tokens 24 in --seq 128"), r.out());
            for (String line : Files.readAllLines(log.resolve("samples.jsonl"))) {
                JsonNode prompt = json.readTree(line).get("prompt");
                if (data == trl) {
                    assertEquals("system", prompt.get(0).get("role").asText(), line);
                    assertTrue(prompt.get(1).get("content").asText().startsWith("Tell me about "), line);
                } else {
                    assertTrue(fixture.contains(prompt.asText()), "a prompt of the fixture: " + line);
                }
            }
        }
        CliTest.Run raw = CliTest.run("ppo", "--model", base, "--data", trl.toString(), "--raw-prompts", "--reward", "length", "--out", dir.resolve("p.gguf").toString());
        assertEquals(1, raw.code());
        assertTrue(raw.err().contains("--raw-prompts takes one-turn prompts; record 1 of " + trl + " has 2 messages"), raw.err());
    }

    /** The same flags give the same run: rollouts join the scheduler together (Scheduler.submitAll), so batches and sums repeat. */
    @Test
    void ppoRerunWithTheSameFlagsIsIdentical() throws Exception {
        String base = TestData.path("models/stories260K.gguf").toString();
        List<byte[]> adapters = new java.util.ArrayList<>();
        List<String> samples = new java.util.ArrayList<>();
        for (int run = 0; run < 3; run++) {
            Path out = dir.resolve("same-" + run + ".gguf"), log = dir.resolve("same-log-" + run);
            CliTest.Run r = CliTest.run("ppo", "--model", base, "--data", TestData.path("sft/dpo_en_demo.20.json").toString(), "--reward", "length",
                    "--steps", "2", "--batch", "6", "--minibatch", "3", "--ppo-epochs", "1", "--max-new-tokens", "20", "--seed", "3",
                    "--out", out.toString(), "--log", log.toString(), "-t", "2");
            assertEquals(0, r.code(), r.out() + r.err());
            adapters.add(Files.readAllBytes(out));
            samples.add(Files.readString(log.resolve("samples.jsonl")));
        }
        for (int run = 1; run < 3; run++) {
            assertEquals(samples.get(0), samples.get(run), "run " + run + "'s rollouts");
            assertTrue(java.util.Arrays.equals(adapters.get(0), adapters.get(run)), "run " + run + "'s adapter differs from run 0's");
        }
    }

    @Test
    void dpoAndRmTrainTakeTheLlamaFactoryFixturesAsTheyCome() {
        String base = TestData.path("models/stories260K.gguf").toString();
        for (String f : List.of("sft/dpo_en_demo.20.json", "sft/dpo_zh_demo.20.json")) {
            for (List<String> cmd : List.of(List.of("dpo"), List.of("rm", "train"))) {
                // the default --seq is the model's context (128 here): long pairs are cut, none too long for the model
                CliTest.Run r = CliTest.run(concat(cmd, List.of("--model", base, "--data", TestData.path(f).toString(), "--steps", "1", "--batch", "2",
                        "--out", dir.resolve("x.gguf").toString(), "--checkpoint-every", "0", "-t", "2")));
                assertEquals(0, r.code(), cmd + " " + f + ": " + r.out() + r.err());
                assertTrue(r.out().contains("20 pairs (18 train, 2 held out)") && r.out().contains("truncated to --seq 128"), r.out());
            }
        }
        CliTest.Run r = CliTest.run("dpo", "--model", base, "--data", TestData.path("sft/dpo_en_demo.20.json").toString(), "--seq", "256",
                "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--seq 256 exceeds the context length 128 of " + base + "; give --seq 128 or less"), r.err());
    }

    @Test
    void ppoRefusesTheSharedOptionsItHasNoUseFor() throws Exception {
        Path prompts = dir.resolve("p.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"Lily was very\"}\n");
        for (List<String> extra : List.of(List.of("--warmup", "5"), List.of("--val-fraction", "0.2"), List.of("--weight-decay", "0.1"), List.of("--resume"))) {
            CliTest.Run r = CliTest.run(concat(List.of("ppo", "--model", TestData.path("models/stories260K.gguf").toString(), "--data", prompts.toString(),
                    "--reward", "length", "--out", dir.resolve("a.gguf").toString()), extra));
            assertEquals(1, r.code(), r.out() + r.err());
            assertTrue(r.err().contains(extra.getFirst() + " does not apply to jllm ppo"), r.err());
        }
    }

    @SafeVarargs
    static String[] concat(List<String>... parts) {
        return java.util.Arrays.stream(parts).flatMap(List::stream).toArray(String[]::new);
    }
}
