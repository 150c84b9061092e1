package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import dev.jllm.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamingDecoderTest {

    static Tokenizer stories() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
            return GgufTokenizerLoader.load(f);
        }
    }

    @Test
    void holdsBackPartialCharactersAcrossByteTokens() throws IOException {
        Tokenizer tok = stories();
        Vocabulary v = tok.vocabulary();
        StreamingDecoder d = new StreamingDecoder(tok);
        assertEquals(" ", d.accept(v.id("▁")));
        assertEquals("", d.accept(v.id("<0xE4>")));
        assertTrue(d.hasPending());
        assertEquals("", d.accept(v.id("<0xBD>")));
        assertEquals("你", d.accept(v.id("<0xA0>")));
        assertFalse(d.hasPending());
        // a 4-byte emoji 😀 = F0 9F 98 80, then ordinary text completes in the same call
        d.accept(v.id("<0xF0>"));
        d.accept(v.id("<0x9F>"));
        d.accept(v.id("<0x98>"));
        assertEquals("😀", d.accept(v.id("<0x80>")));
        assertEquals("", d.flush());
    }

    @Test
    void flushReplacesDanglingBytes() throws IOException {
        Tokenizer tok = stories();
        Vocabulary v = tok.vocabulary();
        StreamingDecoder d = new StreamingDecoder(tok);
        assertEquals("", d.accept(v.id("<0xE4>")));
        assertEquals("", d.accept(v.id("<0xBD>")));
        assertEquals("\uFFFD", d.flush());
        assertFalse(d.hasPending());
    }

    @Test
    void strayContinuationByteIsEmittedAtOnce() throws IOException {
        Tokenizer tok = stories();
        StreamingDecoder d = new StreamingDecoder(tok);
        assertEquals("\uFFFDa", d.accept(tok.vocabulary().id("<0xA0>")) + d.accept(tok.vocabulary().id("a")));
    }

    @Test
    void controlTokensAreHiddenUnlessRendered() throws IOException {
        Tokenizer tok = stories();
        assertEquals("", new StreamingDecoder(tok).accept(2));
        assertEquals("</s>", new StreamingDecoder(tok, true).accept(2));
    }

    @Test
    void completePrefixRule() {
        byte[] b = {'a', (byte) 0xE4, (byte) 0xBD};
        assertEquals(1, StreamingDecoder.completePrefix(b, 3));
        assertEquals(1, StreamingDecoder.completePrefix(b, 2));
        assertEquals(1, StreamingDecoder.completePrefix(b, 1));
        byte[] c = {(byte) 0xC3, (byte) 0xA9};
        assertEquals(2, StreamingDecoder.completePrefix(c, 2));
        assertEquals(0, StreamingDecoder.completePrefix(c, 1));
    }
}
