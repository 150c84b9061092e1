package dev.jllm.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jllm.testkit.TestData;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.TokenizerJsonLoader;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A follow-up turn keeps the ids the model generated instead of re-tokenizing its reply (Qwen3's byte-level BPE, ChatML). */
class PromptSpliceTest {
    static Tokenizer tok;
    static PromptBuilder prompts;
    static final PromptBuilder.Truncation ARGS = PromptBuilder.Truncation.DISABLED;

    @BeforeAll
    static void load() throws Exception {
        tok = TokenizerJsonLoader.load(TestData.path("tokenizers/hf-qwen3/tokenizer.json"));
        prompts = new PromptBuilder(tok, ChatTemplate.fallback()::render, 4096);
    }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    /** "foo" + "bar" + " baz" as the model might emit it: three tokens where the tokenizer writes fewer. */
    static int[] generatedReply() {
        int[] ids = concat(tok.encode("foo"), tok.encode("bar"), tok.encode(" baz"));
        assertFalse(Arrays.equals(ids, tok.encode("foobar baz")), "precondition: the reply re-tokenizes differently");
        return ids;
    }

    @Test
    void theNextTurnStartsWithThePreviousTurnsIds() {
        List<ChatMessage> turn1 = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Tell me a story"));
        int[] prompt1 = prompts.build(turn1, "input", ARGS).tokens();
        int[] previous = concat(prompt1, generatedReply());
        List<ChatMessage> turn2 = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Tell me a story"),
                ChatMessage.assistant("foobar baz"), ChatMessage.user("And then?"));
        int[] canonical = prompts.build(turn2, "input", ARGS).tokens();
        int[] spliced = prompts.build(turn2, "input", ARGS, previous).tokens();
        assertArrayEquals(previous, Arrays.copyOf(spliced, previous.length), "all of the previous sequence is kept");
        assertEquals(tok.decode(canonical, true), tok.decode(spliced, true), "the same text either way");
        assertFalse(Arrays.equals(canonical, spliced));
    }

    @Test
    void anEditedHistoryKeepsOnlyTheMatchingPrefix() {
        List<ChatMessage> turn1 = List.of(ChatMessage.user("Tell me a story"));
        int[] prompt1 = prompts.build(turn1, "input", ARGS).tokens();
        int[] reply = generatedReply();
        int[] previous = concat(prompt1, reply);
        // the client changed the last reply's last word: ids up to "foo","bar" still hold, " bax" is new text
        List<ChatMessage> turn2 = List.of(ChatMessage.user("Tell me a story"), ChatMessage.assistant("foobar bax"), ChatMessage.user("Go on"));
        int[] canonical = prompts.build(turn2, "input", ARGS).tokens();
        int[] spliced = prompts.build(turn2, "input", ARGS, previous).tokens();
        int kept = prompt1.length + reply.length - tok.encode(" baz").length;
        assertArrayEquals(Arrays.copyOf(previous, kept), Arrays.copyOf(spliced, kept));
        assertEquals(tok.decode(canonical, true), tok.decode(spliced, true));
        // a different conversation altogether: nothing in common, the canonical ids
        int[] other = prompts.build(List.of(ChatMessage.user("Something else")), "input", ARGS, previous).tokens();
        assertArrayEquals(prompts.build(List.of(ChatMessage.user("Something else")), "input", ARGS).tokens(), other);
    }

    @Test
    void aCutInsideAMultiByteCharacterOrACanonicalTokenBacksOffToABoundaryBothSplitsShare() {
        // the model emitted the first byte of "é" as its own token; the history says "café"
        int[] prompt1 = prompts.build(List.of(ChatMessage.user("Say café")), "input", ARGS).tokens();
        byte[] e = "é".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] caf = tok.encode("caf");
        int firstByte = byteToken(e[0]);
        int[] previous = concat(prompt1, caf, new int[] {firstByte, byteToken((byte) 'X')});
        List<ChatMessage> turn2 = List.of(ChatMessage.user("Say café"), ChatMessage.assistant("café"), ChatMessage.user("Again"));
        int[] spliced = prompts.build(turn2, "input", ARGS, previous).tokens();
        int[] canonical = prompts.build(turn2, "input", ARGS).tokens();
        // "caf" is where the model's ids stop spelling the text, inside the tokenizer's own token for "café": cut there, the rest
        // would be split otherwise than the tokenizer does, so the splice keeps the ids up to the last boundary both share
        assertArrayEquals(prompt1, Arrays.copyOf(spliced, prompt1.length));
        assertArrayEquals(canonical, spliced);
        assertEquals(tok.decode(canonical, true), tok.decode(spliced, true));
    }

    /** The id whose bytes are exactly {@code b}. */
    static int byteToken(byte b) {
        for (int id = 0; id < tok.vocabSize(); id++) {
            byte[] t = tok.tokenBytes(id);
            if (t.length == 1 && t[0] == b && !tok.tokenType(id).isSpecial()) return id;
        }
        throw new AssertionError("no single-byte token for " + b);
    }
}
