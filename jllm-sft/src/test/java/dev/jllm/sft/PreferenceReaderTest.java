package dev.jllm.sft;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.chat.ChatTemplate;
import dev.jllm.sft.synth.PreferenceGenerator;
import dev.jllm.testkit.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preference shapes (LLaMA-Factory's dpo demos, TRL prompt/chosen/rejected, Alpaca ranking), strength columns, errors, encoding. */
class PreferenceReaderTest {
    @TempDir Path dir;

    @Test
    void readsLlamaFactoryDpoDemosAsTheyCome() throws IOException {
        for (String lang : List.of("en", "zh")) {
            PreferenceReader.Result r = PreferenceReader.read(TestData.path("sft/dpo_" + lang + "_demo.20.json"), SftReader.Options.DEFAULT);
            assertEquals(20, r.records().size(), lang);
            PreferenceRecord p = r.records().getFirst();
            assertEquals("user", p.prompt().getLast().role());
            assertEquals("assistant", p.chosen().messages().getLast().role());
            assertNotEquals(p.chosenText(), p.rejectedText());
            assertTrue(Double.isNaN(p.margin()));
        }
        PreferenceRecord first = PreferenceReader.read(TestData.path("sft/dpo_en_demo.20.json"), SftReader.Options.DEFAULT).records().getFirst();
        assertTrue(first.prompt().getFirst().content().startsWith("Hi! I'd like to create a new language game"));
        assertTrue(first.chosenText().startsWith("That sounds like a fun and engaging idea!"));
    }

    @Test
    void readsPromptChosenRejectedWithStrengthColumns() throws IOException {
        Path f = Fixtures.write(dir, "p.jsonl", """
                {"prompt": "Hi", "chosen": "Hello!", "rejected": "Go away.", "margin": 2.5}
                {"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hey"}], "rejected": [{"role": "assistant", "content": "No"}], "rank": 3}
                {"instruction": "Add", "input": "1+1", "chosen": "2", "rejected": "3", "score_chosen": 9, "score_rejected": 4}
                {"system": "Be nice.", "prompt": "Hi", "chosen": "Hello", "rejected": "Meh"}
                """);
        List<PreferenceRecord> r = PreferenceReader.read(f, SftReader.Options.DEFAULT).records();
        assertEquals(4, r.size());
        assertEquals(2.5, r.get(0).margin());
        assertEquals("margin", r.get(0).marginColumn());
        assertEquals(3, r.get(1).margin());
        assertEquals("rank", r.get(1).marginColumn());
        assertEquals(5, r.get(2).margin());
        assertEquals("Hey", r.get(1).chosenText());
        assertEquals("2", r.get(2).chosenText());
        assertEquals("system", r.get(3).prompt().getFirst().role());
        assertTrue(Double.isNaN(r.get(3).margin()));
    }

    @Test
    void badRecordsNameFileAndLine() {
        Path f = Fixtures.write(dir, "bad.jsonl", """
                {"prompt": "Hi", "chosen": "Hello!", "rejected": "x"}
                {"prompt": "Hi", "chosen": "Hello!"}
                """);
        SftException e = assertThrows(SftException.class, () -> PreferenceReader.read(f, SftReader.Options.DEFAULT));
        assertTrue(e.getMessage().contains("bad.jsonl:2"), e.getMessage());
        assertTrue(e.getMessage().contains("'chosen' and 'rejected'"), e.getMessage());
        Path g = Fixtures.write(dir, "sft.jsonl", """
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}
                """);
        assertThrows(SftException.class, () -> PreferenceReader.read(g, SftReader.Options.DEFAULT));
    }

    @Test
    void encodesPromptAndAnswerThroughTheEndOfTurn() throws IOException {
        Path f = Fixtures.write(dir, "p.jsonl", "{\"prompt\": \"Tell me about Tim.\", \"chosen\": \"Tim was happy.\", \"rejected\": \"Tim was sad.\"}\n");
        PreferenceRecord rec = PreferenceReader.read(f, SftReader.Options.DEFAULT).records().getFirst();
        ChatTemplate t = Fixtures.template("chatml");
        PreferenceEncoder enc = new PreferenceEncoder(new SftRenderer(t, Fixtures.qwen3(), SftRenderer.TrainOn.LAST), 64);
        PreferenceEncoder.Encoded[] e = enc.encode(rec);
        String chosen = Fixtures.qwen3().decode(java.util.Arrays.copyOfRange(e[0].tokens(), e[0].prompt(), e[0].tokens().length));
        assertEquals("Tim was happy.", chosen.strip());
        assertEquals("<|im_end|>", Fixtures.qwen3().piece(e[0].tokens()[e[0].tokens().length - 1]), "the answer ends with its end-of-turn token");
        String prompt = Fixtures.qwen3().decode(java.util.Arrays.copyOf(e[1].tokens(), e[1].prompt()));
        assertTrue(prompt.endsWith("assistant\n"), prompt);
        assertEquals(e[0].prompt(), e[1].prompt());
        // too long: the answer is cut at its end, the prompt keeps its first and last tokens
        PreferenceEncoder small = new PreferenceEncoder(new SftRenderer(t, Fixtures.qwen3(), SftRenderer.TrainOn.LAST), 8);
        PreferenceEncoder.Encoded s = small.encode(rec)[0];
        assertTrue(s.truncated());
        assertTrue(s.tokens().length <= 8);
        assertEquals(e[0].tokens()[0], s.tokens()[0]);
        assertEquals(e[0].tokens()[e[0].prompt()], s.tokens()[s.prompt()], "the answer starts where it did");
    }

    @Test
    void syntheticPairsAreSeededAndTheChosenIsMoreCheerful() {
        List<PreferenceGenerator.Pair> a = PreferenceGenerator.generate(200, 7), b = PreferenceGenerator.generate(200, 7);
        assertEquals(a, b);
        assertNotEquals(a, PreferenceGenerator.generate(200, 8));
        for (PreferenceGenerator.Pair p : a) {
            int d = PreferenceGenerator.cheer(p.chosen()) - PreferenceGenerator.cheer(p.rejected());
            assertEquals(2 * p.margin(), d, p.toString()); // one cheerful word replaces one gloomy word per step of margin
            assertTrue(p.margin() >= 1 && p.margin() <= 3);
        }
    }
}
