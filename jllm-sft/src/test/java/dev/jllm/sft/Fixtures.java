package dev.jllm.sft;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.gguf.GgufFile;
import dev.jllm.testkit.TestData;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.TokenizerJsonLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Shared test inputs: the two vocabularies (loaded once), templates, and helpers to read masks and write data files. */
final class Fixtures {
    private static Tokenizer qwen3, stories;
    private static ChatTemplate storiesTemplate;

    private Fixtures() {}

    /** Qwen3's byte-level BPE: {@code <|im_start|>}/{@code <|im_end|>} are control tokens, no BOS. */
    static synchronized Tokenizer qwen3() {
        if (qwen3 == null) qwen3 = load(() -> TokenizerJsonLoader.load(TestData.path("tokenizers/hf-qwen3/tokenizer.json")));
        return qwen3;
    }

    /** stories260K's SentencePiece vocabulary (512 tokens, add BOS, add_space_prefix): ChatML markers are plain text to it. */
    static synchronized Tokenizer stories() {
        if (stories == null) {
            try (GgufFile f = GgufFile.open(TestData.path("models/stories260K.gguf"))) {
                stories = GgufTokenizerLoader.load(f);
                storiesTemplate = ChatTemplate.fromGguf(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return stories;
    }

    /** stories260K's own template: none in the file, so the ChatML fallback with its BOS/EOS texts. */
    static synchronized ChatTemplate storiesTemplate() {
        stories();
        return storiesTemplate;
    }

    static ChatTemplate template(String name) {
        return load(() -> ChatTemplate.of(Files.readString(TestData.path("chat/templates/" + name + ".jinja")), null, "<|im_end|>"));
    }

    interface IoSupplier<T> {
        T get() throws IOException;
    }

    static <T> T load(IoSupplier<T> s) {
        try {
            return s.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Each maximal run of learned tokens, decoded with control tokens shown. */
    static List<String> learnedRuns(Tokenizer tok, int[] tokens, boolean[] loss) {
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < tokens.length; ) {
            if (!loss[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < tokens.length && loss[j]) j++;
            runs.add(tok.decode(Arrays.copyOfRange(tokens, i, j), true));
            i = j;
        }
        return runs;
    }

    static Conversation conversation(ChatMessage... messages) {
        List<Integer> assistants = new ArrayList<>();
        for (int i = 0; i < messages.length; i++) if (messages[i].role().equals("assistant")) assistants.add(i);
        return new Conversation(List.of(messages), assistants, null, "test.jsonl", 1, 0);
    }

    static Path write(Path dir, String name, String text) {
        return load(() -> Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8));
    }
}
