package dev.jllm.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.sft.SftRenderer.Encoded;
import dev.jllm.sft.SftRenderer.TrainOn;
import dev.jllm.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bundled real chat template (testdata/chat/templates) on a two-turn conversation: each answer
 * is learned exactly once, nothing but answers (and the template's end-of-turn text right after
 * them) is learned, and the tokens decode back to the template's own rendering.
 */
class TemplateSweepTest {
    static final Conversation CHAT = Fixtures.conversation(ChatMessage.user("Hi there"), ChatMessage.assistant("Hello, friend."),
            ChatMessage.user("What is 2+2?"), ChatMessage.assistant("It is 4."));

    @ParameterizedTest
    @ValueSource(strings = {"chatml", "qwen2.5", "qwen3", "llama-3.1", "llama-3.2", "mistral-v3", "mistral-nemo", "gemma-2", "gemma-3", "phi-3", "phi-3.5"})
    void eachAnswerIsLearnedOnceWithItsEndOfTurn(String name) {
        Tokenizer tok = Fixtures.qwen3();
        ChatTemplate t = Fixtures.template(name);
        List<Encoded> all = new SftRenderer(t, tok, TrainOn.ALL).encode(CHAT);
        StringBuilder learned = new StringBuilder();
        for (Encoded e : all) for (String run : Fixtures.learnedRuns(tok, e.tokens(), e.loss())) learned.append(run).append('|');
        String l = learned.toString();
        for (String answer : List.of("Hello, friend.", "It is 4.")) {
            assertEquals(l.indexOf(answer), l.lastIndexOf(answer), name + ": learned once: " + l);
            assertTrue(l.contains(answer), name + ": " + l);
        }
        assertTrue(!l.contains("Hi there") && !l.contains("2+2"), name + ": prompts are context: " + l);
        // the last sample is the whole conversation as the template writes it (our fixed date for Llama's "Today Date")
        Encoded last = all.getLast();
        String rendered = t.withClock(java.time.Clock.fixed(java.time.Instant.parse("2024-07-26T00:00:00Z"), java.time.ZoneOffset.UTC))
                .render(CHAT.messages(), false);
        assertEquals(rendered, tok.decode(last.tokens(), true), name);
        // with LAST only the final answer, in one sample
        List<Encoded> lastOnly = new SftRenderer(t, tok, TrainOn.LAST).encode(CHAT);
        assertEquals(1, lastOnly.size());
        String runs = String.join("|", Fixtures.learnedRuns(tok, lastOnly.getFirst().tokens(), lastOnly.getFirst().loss()));
        assertTrue(runs.contains("It is 4.") && !runs.contains("Hello, friend."), name + ": " + runs);
    }

    @Test
    void splitsHappenOnlyWhereTheTemplateRewritesHistory() {
        Tokenizer tok = Fixtures.qwen3();
        for (String name : List.of("chatml", "qwen2.5", "llama-3.1", "gemma-2", "phi-3.5")) {
            assertEquals(1, new SftRenderer(Fixtures.template(name), tok, TrainOn.ALL).encode(CHAT).size(), name + " is prefix-stable");
        }
        assertEquals(2, new SftRenderer(Fixtures.template("qwen3"), tok, TrainOn.ALL).encode(CHAT).size());
    }

    @Test
    void phi35sFinalEosIsNotPartOfEarlierAnswers() {
        Tokenizer tok = Fixtures.qwen3();
        // Phi-3.5 writes eos_token after the last message only; the fixture's eos text is <|im_end|>, an EOG token of this vocabulary
        Encoded e = LossMaskTest.single(new SftRenderer(Fixtures.template("phi-3.5"), tok, TrainOn.ALL).encode(CHAT));
        assertEquals(List.of("Hello, friend.<|end|>", "It is 4.<|end|>\n<|im_end|>"), Fixtures.learnedRuns(tok, e.tokens(), e.loss()));
        // the same on stories260K's SentencePiece vocabulary, where only the final </s> is a control token
        Tokenizer spm = Fixtures.stories();
        ChatTemplate phi = ChatTemplate.of(Fixtures.template("phi-3.5").source(), "<s>", "</s>");
        Encoded s = LossMaskTest.single(new SftRenderer(phi, spm, TrainOn.ALL).encode(CHAT));
        assertEquals(List.of("Hello, friend.<|end|>", "It is 4.<|end|>\n</s>"), Fixtures.learnedRuns(spm, s.tokens(), s.loss()));
    }
}
