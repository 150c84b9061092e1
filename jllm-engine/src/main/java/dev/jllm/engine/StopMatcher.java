package dev.jllm.engine;

import java.util.List;

/**
 * Accumulates decoded text and decides what may be streamed: text that could still become the start
 * of a stop string is held back until it can't, so a stop string never reaches the client. The one
 * stop rule of the engine (the {@link Slot} of every request, served or generated from the CLI).
 */
final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    private final boolean toBoundary;

    /** @param stops non-empty strings ({@link dev.jllm.model.SamplingParams} checks) */
    StopMatcher(List<String> stops) {
        this(stops, false);
    }

    /**
     * @param toBoundary release text only up to the last sentence boundary (a {@link CharBudget} may
     *                   still cut the answer back to it), everything at the end
     */
    StopMatcher(List<String> stops, boolean toBoundary) {
        this.stops = stops;
        this.toBoundary = toBoundary;
    }

    /** Cuts the text at {@code at} (never before what was already released); nothing more is appended. */
    void truncate(int at) {
        text.setLength(Math.max(at, emitted));
        truncated = true;
    }

    private boolean truncated;

    /** Appends text; returns true if a stop string now occurs (the text is cut before the earliest one). */
    boolean append(String s) {
        if (stopped || truncated) throw new IllegalStateException("already stopped");
        text.append(s);
        int best = -1;
        for (String stop : stops) {
            // a match can only start in text that was held back (never in text already streamed)
            int i = text.indexOf(stop, Math.max(0, emitted - stop.length()));
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        if (best >= 0) {
            text.setLength(best);
            stopped = true;
        }
        return stopped;
    }

    boolean stopped() {
        return stopped;
    }

    /** Text that became safe to stream since the last call (everything, once stopped or at the end). */
    String drain(boolean end) {
        int safe = end || stopped || truncated ? text.length() : text.length() - holdBack();
        if (toBoundary && !end && !stopped && !truncated) safe = Math.min(safe, CharBudget.lastBoundary(text, safe));
        if (safe <= emitted) return "";
        String s = text.substring(emitted, safe);
        emitted = safe;
        return s;
    }

    String text() {
        return text.toString();
    }

    /** The text's length in code points. */
    int codePoints() {
        return text.codePointCount(0, text.length());
    }

    /** Whether the text so far ends at a sentence boundary. */
    boolean atBoundary() {
        return !text.isEmpty() && CharBudget.boundaryBefore(text, text.length());
    }

    /** Length of the longest suffix of the text that is a proper prefix of some stop string. */
    private int holdBack() {
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                if (endsWith(s, k)) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }

    /** True if the text ends with the first k characters of s. */
    private boolean endsWith(String s, int k) {
        int off = text.length() - k;
        for (int i = 0; i < k; i++) if (text.charAt(off + i) != s.charAt(i)) return false;
        return true;
    }
}
