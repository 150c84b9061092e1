package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link SentencePieceBpe} cuts its input into chunks that no merge can cross, caches chunks and
 * merges short ones by linear scans. This holds it to the plain algorithm — llama.cpp's merge loop
 * over the whole fragment with a heap and a substring lookup per candidate pair, kept here as
 * {@link #reference} — on whole corpora and random text, for the SentencePiece vocabularies we have.
 */
class SentencePieceReferenceTest {

    private static SentencePieceBpe gguf(String name) throws Exception {
        try (GgufFile f = GgufFile.open(TestData.path("tokenizers/llamacpp-vocab/ggml-vocab-" + name + ".gguf"))) {
            return (SentencePieceBpe) GgufTokenizerLoader.load(f);
        }
    }

    private static SentencePieceBpe tokenizer(String name) throws Exception {
        return name.equals("stories260K") ? Llama2cTokenizerLoader.load(TestData.path("models/tok512.bin")) : gguf(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "stories260K"})
    void wholeCorporaMatchTheReference(String name) throws Exception {
        SentencePieceBpe tok = tokenizer(name);
        for (String corpus : new String[] {"tinyshakespeare.txt", "ci.song.0.json"}) {
            String text = Files.readString(TestData.path("tokenizers/corpora/" + corpus));
            assertArrayEquals(reference(tok, text), tok.encode(text, false, false), name + " on " + corpus);
            // twice: the second pass comes from the chunk cache
            assertArrayEquals(reference(tok, text), tok.encode(text, false, false), name + " on " + corpus + " (cached)");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "stories260K"})
    void randomTextMatchesTheReference(String name) throws Exception {
        SentencePieceBpe tok = tokenizer(name);
        String[] alphabet = {"a", "e", "t", "h", " ", " ", "  ", "\n", "\t", ".", ",", "'", "▁", "the", "ing", "Hello", "1998",
                "张", "三", "出生", "年", "の", "é", "e\u0301", "😀", "👩\u200d💻", "\uFFFD", "<", "s>", "/", "<0x41>", "ǅ"};
        // (no whole "<s>"/"</s>": phi-3 marks them user-defined, matched before the merge loop, which the reference skips)
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int parts = r.nextInt(1, 40);
            for (int k = 0; k < parts; k++) {
                if (r.nextInt(8) == 0) sb.appendCodePoint(r.nextInt(0x20, 0x2FFFF));
                else sb.append(alphabet[r.nextInt(alphabet.length)]);
            }
            String text = Utf16.replaceLoneSurrogates(sb.toString());
            assertArrayEquals(reference(tok, text), tok.encode(text, false, false), () -> name + " on " + Arrays.toString(text.codePoints().toArray()));
        }
    }

    @Test
    void longRunsWithoutCutsUseTheHeapPath() throws Exception {
        SentencePieceBpe tok = gguf("llama-spm");
        for (String text : new String[] {" ".repeat(300), "▁".repeat(97), "=".repeat(500), "ab".repeat(200), "\n".repeat(70)}) {
            assertArrayEquals(reference(tok, text), tok.encode(text, false, false), text.length() + " chars of " + text.charAt(0));
        }
    }

    /** The encode result of the original implementation: whole-fragment heap, substring lookups. */
    static int[] reference(SentencePieceBpe tok, String text) {
        Vocabulary vocab = tok.vocabulary();
        int[] byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = vocab.id(String.valueOf((char) b));
            byteTokens[b] = id >= 0 ? id : vocab.unk();
        }
        String s = tok.options().addSpacePrefix() ? " " + text : text;
        s = s.replace(' ', '▁');
        ByteLevelBpe.IntList out = new ByteLevelBpe.IntList(16);
        int n = s.codePointCount(0, s.length());
        if (n == 0) return out.toArray();
        int[] start = new int[n], end = new int[n], prev = new int[n], next = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0, pos = 0; i < n; i++) {
            start[i] = pos;
            pos += Character.charCount(s.codePointAt(pos));
            end[i] = pos;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) push(vocab, heap, s, start[i], end[i + 1], i);
        while (!heap.isEmpty()) {
            long v = heap.pop();
            int i = (int) v;
            int j = next[i];
            if (dead[i] || j < 0) continue;
            int id = vocab.id(s.substring(start[i], end[j]));
            if (id < 0 || key(vocab.score(id), i) != v) continue;
            end[i] = end[j];
            dead[j] = true;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) push(vocab, heap, s, start[prev[i]], end[i], prev[i]);
            if (next[i] >= 0) push(vocab, heap, s, start[i], end[next[i]], i);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            String piece = s.substring(start[i], end[i]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
            } else {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    if (byteTokens[b & 0xff] >= 0) out.add(byteTokens[b & 0xff]);
                }
            }
        }
        return out.toArray();
    }

    private static void push(Vocabulary vocab, LongHeap heap, String s, int from, int to, int left) {
        int id = vocab.id(s.substring(from, to));
        if (id >= 0) heap.push(key(vocab.score(id), left));
    }

    private static long key(float score, int left) {
        int bits = Float.floatToIntBits(score == 0f ? 0f : score);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ordered << 32) | left;
    }
}
