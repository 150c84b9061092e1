package dev.jllm.sft;

import dev.jllm.chat.ChatMessage;
import java.util.List;

/**
 * One comparison: the same conversation ending in the chosen answer and in the rejected one (both
 * {@link Conversation}s end with that assistant message; everything before it is the shared prompt).
 *
 * @param margin       the strength of the preference from a {@code margin} or {@code rank} column, or
 *                     {@code score_chosen − score_rejected}; NaN when the record has none
 * @param marginColumn which column it came from ("" when none)
 */
public record PreferenceRecord(Conversation chosen, Conversation rejected, double margin, String marginColumn) {
    /** The prompt messages (all but the answer). */
    public List<ChatMessage> prompt() {
        return chosen.messages().subList(0, chosen.messages().size() - 1);
    }

    public String chosenText() {
        return chosen.messages().getLast().content();
    }

    public String rejectedText() {
        return rejected.messages().getLast().content();
    }

    public String where() {
        return chosen.where();
    }
}
