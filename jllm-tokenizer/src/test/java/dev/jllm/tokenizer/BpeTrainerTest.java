package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeTrainerTest {
    private static final String CS336 = "tokenizers/bpe-cs336/";

    /** The Stanford CS336 reference: vocab 500 on corpus.en with <|endoftext|>, GPT-2 regex (test_train_bpe.py). */
    @Test
    void reproducesTheCs336ReferenceMergesAndVocabExactly() throws IOException {
        BpeTrainer.Options o = new BpeTrainer.Options(500, List.of("<|endoftext|>"), TrainingPreTokenizer.GPT2, 2);
        TrainedBpe t = BpeTrainer.trainFiles(List.of(TestData.path(CS336 + "corpus.en")), o, null);

        List<String> wantMerges = Files.readAllLines(TestData.path(CS336 + "train-bpe-reference-merges.txt"), StandardCharsets.UTF_8);
        List<String> gotMerges = new ArrayList<>();
        for (int r = 0; r < t.mergeCount(); r++) {
            int[] m = t.merge(r);
            gotMerges.add(t.piece(m[0]) + " " + t.piece(m[1]));
        }
        assertEquals(wantMerges.stream().map(String::stripTrailing).toList(), gotMerges);

        Map<?, ?> want = (Map<?, ?>) Json.parse(Files.readString(TestData.path(CS336 + "train-bpe-reference-vocab.json")), "vocab");
        Map<Object, Object> got = new LinkedHashMap<>();
        for (int id = 0; id < t.vocabSize(); id++) got.put(t.piece(id), (long) id);
        // the reference test compares the sets of ids and of token bytes; our ids also match one to one
        assertEquals(want, got);
    }

    @Test
    void countsAreTheSameWithAndWithoutChunkingOnRealCorpora() throws IOException {
        for (String corpus : List.of("tokenizers/corpora/tinyshakespeare.txt", "tokenizers/corpora/poet.tang.0.json", CS336 + "corpus.en")) {
            String text = Files.readString(TestData.path(corpus));
            for (TrainingPreTokenizer p : TrainingPreTokenizer.values()) {
                BpeTrainer.Options one = new BpeTrainer.Options(300, List.of(), p, 1);
                BpeTrainer.Options two = new BpeTrainer.Options(300, List.of(), p, 2);
                Map<String, Long> whole = BpeTrainer.countWords(List.of(text), one, Integer.MAX_VALUE);
                List<int[]> chunks = new ArrayList<>();
                BpeTrainer.chunk(text, 0, text.length(), 4096, chunks);
                assertTrue(chunks.size() > 10, corpus + ": only " + chunks.size() + " chunks; the cut rule finds too few places");
                assertEquals(whole, BpeTrainer.countWords(List.of(text), two, 4096), corpus + " with " + p);
            }
        }
    }

    @Test
    void specialTokensAreNeverMergedAcrossAndNeverLearned() {
        String text = "ab<|endoftext|>ab<|endoftext|>ab<|endoftext|>";
        TrainedBpe t = BpeTrainer.train(List.of(text), new BpeTrainer.Options(258, List.of("<|endoftext|>"), TrainingPreTokenizer.GPT2, 1), null);
        assertEquals(1, t.mergeCount());
        assertEquals("a b", t.piece(t.merge(0)[0]) + " " + t.piece(t.merge(0)[1]));
        // with specials the same text would be learned as "b<" / "|>" pairs; without, the marker is text
        TrainedBpe plain = BpeTrainer.train(List.of(text), new BpeTrainer.Options(300, List.of(), TrainingPreTokenizer.GPT2, 1), null);
        assertTrue(plain.mergeCount() > 1);
        int[] ids = t.tokenizer().encode(text, false, true);
        assertArrayEquals(new int[] {257, 0, 257, 0, 257, 0}, ids);
    }

    @Test
    void repeatedSymbolsMergeLeftToRightWithoutOverlap() {
        // "aaaa" x1: (a,a) counted 3 times; merged → [aa, aa]; then (aa, aa) merges
        TrainedBpe t = BpeTrainer.train(List.of("aaaa"), new BpeTrainer.Options(258, List.of(), TrainingPreTokenizer.GPT2, 1), null);
        assertEquals(2, t.mergeCount());
        assertEquals("a a", t.piece(t.merge(0)[0]) + " " + t.piece(t.merge(0)[1]));
        assertEquals("aa aa", t.piece(t.merge(1)[0]) + " " + t.piece(t.merge(1)[1]));
        assertArrayEquals(new int[] {257}, t.tokenizer().encode("aaaa"));
    }

    @Test
    void stopsEarlyWhenNoPairIsLeft() {
        TrainedBpe t = BpeTrainer.train(List.of("ab ab"), new BpeTrainer.Options(10_000, List.of(), TrainingPreTokenizer.GPT2, 1), null);
        assertEquals(2, t.mergeCount()); // "a b", then "Ġ ab" (" ab" is one word)
    }

    @Test
    void outputLoadsFromTokenizerJsonAndFromGgufWithTheSameIds(@TempDir Path dir) throws IOException {
        String shakespeare = Files.readString(TestData.path("tokenizers/corpora/tinyshakespeare.txt"));
        String poems = Files.readString(TestData.path("tokenizers/corpora/poet.tang.0.json"));
        for (TrainingPreTokenizer p : TrainingPreTokenizer.values()) {
            TrainedBpe t = BpeTrainer.train(List.of(shakespeare.substring(0, 200_000), poems.substring(0, 100_000)),
                    new BpeTrainer.Options(2000, List.of("<|endoftext|>", "<|pad|>"), p, 2), null);
            assertEquals(2000, t.vocabSize());
            Path json = dir.resolve(p.cliName() + ".json");
            t.writeTokenizerJson(json);
            Tokenizer fromJson = TokenizerJsonLoader.load(json);
            Path gguf = dir.resolve(p.cliName() + ".gguf");
            new GgufWriter().putAll(t.toGgufMetadata()).write(gguf);
            Tokenizer fromGguf;
            try (GgufFile f = GgufFile.open(gguf)) {
                fromGguf = GgufTokenizerLoader.load(f);
            }
            String sample = shakespeare.substring(500_000, 520_000) + poems.substring(200_000, 210_000) + "张三1998年出生<|endoftext|>";
            int[] ids = fromJson.encode(sample, true, true);
            assertArrayEquals(ids, fromGguf.encode(sample, true, true), p.cliName());
            assertEquals(sample, fromJson.decode(ids, true));
            assertEquals(0, ids[ids.length - 1]);
            assertTrue(ids.length < sample.getBytes(StandardCharsets.UTF_8).length / 2, p + ": merges should compress");
        }
    }

    @Test
    void cjkKeepsHanRunsApartFromLatinDigitsAndMarks() {
        PreTokenizer cjk = TrainingPreTokenizer.CJK.preTokenizer();
        assertEquals(List.of("张三", "1", "9", "9", "8", "年出生"), cjk.split("张三1998年出生"));
        assertEquals(List.of("用", "Java", "写", "，", "好", " ok"), cjk.split("用Java写，好 ok"));
        assertEquals(List.of("张三", "1", "9", "9", "8", "年出生"), TrainingPreTokenizer.QWEN2.preTokenizer().split("张三1998年出生"));
        assertEquals(List.of("用Java写", "，好", " ok"), TrainingPreTokenizer.QWEN2.preTokenizer().split("用Java写，好 ok"));
    }

    @Test
    void badOptionsAreClearErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> TrainingPreTokenizer.byName("bert"));
        assertEquals("unknown pre-tokenizer 'bert' (supported: gpt2, llama3, qwen2, cjk)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer.Options(100, List.of(), TrainingPreTokenizer.GPT2, 1));
        assertTrue(e.getMessage().contains("below 256"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer.Options(300, List.of("x", "x"), TrainingPreTokenizer.GPT2, 1));
    }

    @Test
    void invalidUtf8InInputFilesBecomesReplacementCharacters(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.write(f, new byte[] {'a', 'b', (byte) 0xFF, 'a', 'b', (byte) 0xC3});
        TrainedBpe t = BpeTrainer.trainFiles(List.of(f), new BpeTrainer.Options(300, List.of(), TrainingPreTokenizer.GPT2, 1), null);
        assertFalse(t.mergeCount() == 0);
        assertEquals("ab\uFFFDab\uFFFD", t.tokenizer().decode(t.tokenizer().encode("ab\uFFFDab\uFFFD")));
    }
}
