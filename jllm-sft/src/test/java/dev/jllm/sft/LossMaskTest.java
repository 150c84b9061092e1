package dev.jllm.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.sft.SftRenderer.Encoded;
import dev.jllm.sft.SftRenderer.TrainOn;
import dev.jllm.tokenizer.Tokenizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which tokens carry loss, checked by decoding exactly the learned tokens and by hand-read token ids. */
class LossMaskTest {
    static final Conversation TWO_TURNS = Fixtures.conversation(ChatMessage.system("Be brief."), ChatMessage.user("Hi"),
            ChatMessage.assistant("Hello there!"), ChatMessage.user("What is 2+2?"), ChatMessage.assistant("4"));

    @Test
    void chatmlOnQwen3LearnsEachAnswerAndItsImEnd() {
        Tokenizer tok = Fixtures.qwen3();
        Encoded e = single(new SftRenderer(ChatTemplate.fallback(), tok, TrainOn.ALL).encode(TWO_TURNS));
        assertEquals(List.of("Hello there!<|im_end|>", "4<|im_end|>"), Fixtures.learnedRuns(tok, e.tokens(), e.loss()));
        // the whole sample is the template's text, nothing added or lost between pieces
        assertEquals(ChatTemplate.fallback().render(TWO_TURNS.messages(), false), tok.decode(e.tokens(), true));
        // hand-read ids around the first answer: <|im_start|>(151644) "assistant"(77091) "\n"(198) | Hello(9707) " there"(1052) "!"(0) <|im_end|>(151645) | "\n"(198)
        int first = firstLearned(e);
        assertArrayEquals(new int[] {151644, 77091, 198}, java.util.Arrays.copyOfRange(e.tokens(), first - 3, first));
        assertArrayEquals(new int[] {9707, 1052, 0, 151645}, java.util.Arrays.copyOfRange(e.tokens(), first, first + 4));
        assertEquals(198, e.tokens()[first + 4], "the newline after <|im_end|> is never generated");
        assertFalse(e.loss()[first + 4]);
        assertFalse(e.splitTurn());
        assertEquals(4 + 2, e.lossTokens());
    }

    @Test
    void trainOnLastLearnsOnlyTheFinalAnswerButKeepsTheHistoryAsContext() {
        Tokenizer tok = Fixtures.qwen3();
        Encoded all = single(new SftRenderer(ChatTemplate.fallback(), tok, TrainOn.ALL).encode(TWO_TURNS));
        Encoded last = single(new SftRenderer(ChatTemplate.fallback(), tok, TrainOn.LAST).encode(TWO_TURNS));
        assertEquals(List.of("4<|im_end|>"), Fixtures.learnedRuns(tok, last.tokens(), last.loss()));
        assertArrayEquals(all.tokens(), last.tokens(), "same tokens, only the mask differs");
    }

    @Test
    void nothingAfterTheLastLearnedAnswerIsRendered() {
        Tokenizer tok = Fixtures.qwen3();
        // OpenAI's weight 0 on the last answer: the sample ends after the first answer
        Conversation c = new Conversation(TWO_TURNS.messages(), List.of(2), null, "t.jsonl", 1, 0);
        Encoded e = single(new SftRenderer(ChatTemplate.fallback(), tok, TrainOn.ALL).encode(c));
        assertEquals(ChatTemplate.fallback().render(TWO_TURNS.messages().subList(0, 3), false), tok.decode(e.tokens(), true));
        assertEquals(List.of("Hello there!<|im_end|>"), Fixtures.learnedRuns(tok, e.tokens(), e.loss()));
    }

    @Test
    void sentencePieceVocabularyGetsOneBosAndNoSpacePrefixInsideTheText() {
        Tokenizer tok = Fixtures.stories();
        ChatTemplate chatml = Fixtures.storiesTemplate();
        assertEquals("<s>", chatml.bosToken());
        Encoded e = single(new SftRenderer(chatml, tok, TrainOn.ALL).encode(TWO_TURNS));
        assertEquals(tok.bos(), e.tokens()[0]);
        assertFalse(e.loss()[0]);
        for (int id : tok.encode("<|im_end|>", false, true)) assertFalse(tok.isEog(id), "precondition: ChatML markers are plain text here");
        // no end-of-generation token: the answer text through its <|im_end|> text, not the newline after it
        assertEquals(List.of("Hello there!<|im_end|>", "4<|im_end|>"), Fixtures.learnedRuns(tok, e.tokens(), e.loss()));
        String piece = tok.piece(e.tokens()[firstLearned(e)]);
        assertFalse(piece.startsWith("▁"), "an answer continues the text: no SentencePiece space prefix, got " + piece);
        // a template that writes bos_token itself gets no second BOS
        ChatTemplate withBos = ChatTemplate.of("{{ bos_token }}" + ChatTemplate.FALLBACK_SOURCE, "<s>", "</s>");
        Encoded b = single(new SftRenderer(withBos, tok, TrainOn.ALL).encode(TWO_TURNS));
        assertEquals(tok.bos(), b.tokens()[0]);
        assertTrue(b.tokens()[1] != tok.bos());
        assertEquals(List.of("Hello there!<|im_end|>", "4<|im_end|>"), Fixtures.learnedRuns(tok, b.tokens(), b.loss()));
    }

    @Test
    void qwen3TemplateRewritesHistorySoAllTurnsBecomeOneSampleEach() {
        Tokenizer tok = Fixtures.qwen3();
        ChatTemplate qwen3 = Fixtures.template("qwen3");
        List<Encoded> all = new SftRenderer(qwen3, tok, TrainOn.ALL).encode(TWO_TURNS);
        assertEquals(2, all.size(), "the first answer renders with <think></think> only while it is the last one");
        assertTrue(all.get(0).splitTurn() && all.get(1).splitTurn());
        assertEquals(List.of("<think>\n\n</think>\n\nHello there!<|im_end|>"), Fixtures.learnedRuns(tok, all.get(0).tokens(), all.get(0).loss()));
        assertEquals(List.of("<think>\n\n</think>\n\n4<|im_end|>"), Fixtures.learnedRuns(tok, all.get(1).tokens(), all.get(1).loss()));
        assertEquals(qwen3.render(TWO_TURNS.messages(), false), tok.decode(all.get(1).tokens(), true));
        List<Encoded> last = new SftRenderer(qwen3, tok, TrainOn.LAST).encode(TWO_TURNS);
        assertEquals(1, last.size());
        assertArrayEquals(all.get(1).tokens(), last.getFirst().tokens());
        // single-turn data is one sample with either setting
        Conversation one = Fixtures.conversation(ChatMessage.user("Hi"), ChatMessage.assistant("Hello"));
        assertFalse(single(new SftRenderer(qwen3, tok, TrainOn.ALL).encode(one)).splitTurn());
        // with enable_thinking=false the empty think block is part of the prompt, not learned
        Encoded fast = single(new SftRenderer(qwen3, tok, TrainOn.ALL, Map.of("enable_thinking", false)).encode(one));
        assertEquals(List.of("Hello<|im_end|>"), Fixtures.learnedRuns(tok, fast.tokens(), fast.loss()));
    }

    @Test
    void toolCallsAreLearnedAndToolResultsAreContext() {
        Tokenizer tok = Fixtures.qwen3();
        Map<String, Object> call = Map.of("id", "c1", "type", "function",
                "function", Map.of("name", "get_weather", "arguments", "{\"city\":\"Paris\"}"));
        Conversation c = Fixtures.conversation(ChatMessage.user("Weather in Paris?"),
                new ChatMessage("assistant", "", List.of(call), null, null),
                new ChatMessage("tool", "sunny, 24C", null, "c1", null),
                ChatMessage.assistant("It is sunny."));
        // the ChatML fallback knows no tool_calls: written as Hermes-style text
        Encoded e = single(new SftRenderer(ChatTemplate.fallback(), tok, TrainOn.ALL).encode(c));
        assertEquals(List.of("<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}\n</tool_call><|im_end|>",
                "It is sunny.<|im_end|>"), Fixtures.learnedRuns(tok, e.tokens(), e.loss()));
        assertTrue(tok.decode(e.tokens(), true).contains("<|im_start|>tool\nsunny, 24C<|im_end|>"));
        // Qwen3's template writes the call its own way; the tool result is in a user turn there, unlearned
        List<Encoded> q = new SftRenderer(Fixtures.template("qwen3"), tok, TrainOn.LAST).encode(c);
        List<String> runs = Fixtures.learnedRuns(tok, q.getFirst().tokens(), q.getFirst().loss());
        assertEquals(List.of("<think>\n\n</think>\n\nIt is sunny.<|im_end|>"), runs);
        assertTrue(tok.decode(q.getFirst().tokens(), true).contains("<tool_response>\nsunny, 24C\n</tool_response>"));
    }

    @Test
    void controlTokenTextInAMessageIsRejectedWithItsPlace() {
        Conversation c = Fixtures.conversation(ChatMessage.user("say <|im_end|> please"), ChatMessage.assistant("ok"));
        SftException e = assertThrows(SftException.class, () -> new SftRenderer(ChatTemplate.fallback(), Fixtures.qwen3(), TrainOn.ALL).encode(c));
        assertEquals("test.jsonl:1: record 1: message 0 contains the control token '<|im_end|>'; in a rendered sample it would act as a real turn marker",
                e.getMessage());
        // user-defined tokens such as <think> are ordinary text for this check
        Conversation think = Fixtures.conversation(ChatMessage.user("Hi"), ChatMessage.assistant("<think>\nhm\n</think>\n\nHello"));
        assertEquals(1, new SftRenderer(ChatTemplate.fallback(), Fixtures.qwen3(), TrainOn.ALL).encode(think).size());
    }

    @Test
    void aTemplateThatRejectsTheConversationNamesTheRecord() {
        ChatTemplate strict = ChatTemplate.of("{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
                + "{% endif %}{{ m['content'] }}{% endfor %}", null, null);
        SftException e = assertThrows(SftException.class, () -> new SftRenderer(strict, Fixtures.qwen3(), TrainOn.ALL).encode(TWO_TURNS));
        assertTrue(e.getMessage().startsWith("test.jsonl:1: record 1: the chat template rejected it: "), e.getMessage());
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
    }

    static Encoded single(List<Encoded> samples) {
        assertEquals(1, samples.size());
        return samples.getFirst();
    }

    static int firstLearned(Encoded e) {
        for (int i = 0; i < e.loss().length; i++) if (e.loss()[i]) return i;
        throw new AssertionError("no learned token");
    }
}
