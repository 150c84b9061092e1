package dev.jllm.eval;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * An incremental server-sent-events parser (the WHATWG event-stream rules that matter for LLM
 * servers): bytes arrive in whatever pieces the network gives, lines end with LF, CRLF or CR,
 * {@code data:} lines of one event are joined with LF, a blank line dispatches the event, lines
 * starting with {@code :} are comments (heartbeats such as {@code : ping}). Lines are split on
 * bytes and decoded whole, so a UTF-8 character cut between two reads survives.
 */
public final class SseParser {

    /** One dispatched event; {@code event} is "message" when the stream did not name it. */
    public record Event(String event, String data) {
        /** OpenAI's end-of-stream sentinel. */
        public boolean isDone() {
            return data.equals("[DONE]");
        }
    }

    private final Consumer<Event> sink;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String eventName;
    private boolean lastWasCr;
    private int comments;

    public SseParser(Consumer<Event> sink) {
        this.sink = sink;
    }

    /** Feeds the next bytes of the stream; complete events are handed to the sink before this returns. */
    public void feed(byte[] buf, int off, int len) {
        for (int i = off; i < off + len; i++) {
            byte b = buf[i];
            if (b == '\n' && lastWasCr) { // the LF of a CRLF: the line already ended at the CR
                lastWasCr = false;
                continue;
            }
            lastWasCr = b == '\r';
            if (b == '\n' || b == '\r') {
                line(line.toString(StandardCharsets.UTF_8));
                line.reset();
            } else {
                line.write(b);
            }
        }
    }

    public void feed(byte[] buf) {
        feed(buf, 0, buf.length);
    }

    /** Comment lines seen so far (heartbeats). */
    public int comments() {
        return comments;
    }

    private void line(String l) {
        if (l.isEmpty()) {
            dispatch();
            return;
        }
        if (l.charAt(0) == ':') {
            comments++;
            return;
        }
        int colon = l.indexOf(':');
        String field = colon < 0 ? l : l.substring(0, colon);
        String value = colon < 0 ? "" : l.substring(colon + 1);
        if (value.startsWith(" ")) value = value.substring(1);
        switch (field) {
            case "data" -> {
                if (hasData) data.append('\n');
                data.append(value);
                hasData = true;
            }
            case "event" -> eventName = value;
            default -> { } // id, retry and unknown fields do not matter to a benchmark
        }
    }

    private void dispatch() {
        if (hasData) sink.accept(new Event(eventName == null || eventName.isEmpty() ? "message" : eventName, data.toString()));
        data.setLength(0);
        hasData = false;
        eventName = null;
    }
}
