package dev.jllm.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
    private final List<SseParser.Event> events = new ArrayList<>();
    private final SseParser p = new SseParser(events::add);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void dataLinesAndDone() {
        p.feed(utf8("data: {\"a\":1}\n\ndata: [DONE]\n\n"));
        assertEquals(List.of(new SseParser.Event("message", "{\"a\":1}"), new SseParser.Event("message", "[DONE]")), events);
        assertFalse(events.get(0).isDone());
        assertTrue(events.get(1).isDone());
    }

    @Test
    void eventSplitAtEveryByteIncludingInsideAUtf8Character() {
        byte[] all = utf8("event: response.output_text.delta\r\ndata: {\"delta\":\"héllo 世界\"}\r\n\r\ndata: [DONE]\r\n\r\n");
        for (byte b : all) p.feed(new byte[] {b});
        assertEquals(List.of(new SseParser.Event("response.output_text.delta", "{\"delta\":\"héllo 世界\"}"),
                new SseParser.Event("message", "[DONE]")), events);
    }

    @Test
    void arbitraryChunkBoundariesGiveTheSameEvents() {
        byte[] all = utf8("data: one\n\n: ping\n\ndata: two\ndata: lines\n\nevent: x\ndata: 3\n\n");
        List<SseParser.Event> whole = new ArrayList<>();
        new SseParser(whole::add).feed(all);
        for (int cut = 1; cut < all.length; cut++) {
            List<SseParser.Event> split = new ArrayList<>();
            SseParser q = new SseParser(split::add);
            q.feed(all, 0, cut);
            q.feed(all, cut, all.length - cut);
            assertEquals(whole, split, "cut at " + cut);
        }
        assertEquals(3, whole.size());
        assertEquals("two\nlines", whole.get(1).data());
        assertEquals("x", whole.get(2).event());
    }

    @Test
    void commentsAndHeartbeatsAreNotEvents() {
        p.feed(utf8(": ping\n\n: keep-alive\n\ndata: x\n\n"));
        assertEquals(List.of(new SseParser.Event("message", "x")), events);
        assertEquals(2, p.comments());
    }

    @Test
    void eventWithoutDataIsNotDispatchedAndItsNameDoesNotLeak() {
        p.feed(utf8("event: lonely\n\ndata: y\n\n"));
        assertEquals(List.of(new SseParser.Event("message", "y")), events);
    }

    @Test
    void incompleteEventAtEndOfStreamIsNotDispatched() {
        p.feed(utf8("data: partial\n"));
        assertTrue(events.isEmpty());
        p.feed(utf8("\n"));
        assertEquals(1, events.size());
    }

    @Test
    void fieldWithoutSpaceAfterColonAndOtherFieldsIgnored() {
        p.feed(utf8("id: 7\nretry: 100\ndata:tight\n\n"));
        assertEquals(List.of(new SseParser.Event("message", "tight")), events);
    }
}
