package dev.jllm.server.http;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.Scheduler;
import java.util.List;

/**
 * The prompt of a request that resends its whole history (chat completions; a Responses request
 * with neither conversation nor previous_response_id). A conversation keeps the token ids the model
 * produced; a resent reply tokenized afresh may split differently ("rest tea" said as "re"+"st tea"),
 * and the answer would then differ from the stateful one. So the history is first built as plain
 * text, the prefix cache's idle sequence whose ids spell most of that text is picked, and the prompt is built
 * keeping that sequence's ids wherever its text matches (PromptBuilder's splice).
 */
final class StatelessPrompt {
    private StatelessPrompt() {}

    /** @param param the request field the messages came from (named in errors) */
    static PromptBuilder.Prompt build(PromptBuilder pb, Scheduler scheduler, List<ChatMessage> msgs, String param, PromptBuilder.Truncation truncation) {
        // chosen on the text (PromptBuilder): a cached turn whose reply the model wrote in another split than the tokenizer's
        // shares few canonical ids with its own resent history, and another dialogue that only starts alike would be taken instead
        return pb.build(msgs, param, truncation, scheduler.idleSequences());
    }
}
