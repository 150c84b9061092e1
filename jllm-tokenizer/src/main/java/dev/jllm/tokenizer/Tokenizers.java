package dev.jllm.tokenizer;

import dev.jllm.gguf.GgufFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * One entry point for every tokenizer form jllm reads; the form is told from the path:
 * <ul>
 *   <li>a directory: its {@code tokenizer.json}, else its {@code vocab.json} + {@code merges.txt}
 *       ({@link TokenizerJsonLoader}, {@link Gpt2FilesLoader});</li>
 *   <li>{@code *.gguf}: the file's {@code tokenizer.ggml.*} metadata ({@link GgufTokenizerLoader});</li>
 *   <li>{@code *.json}: a Hugging Face tokenizer.json ({@link TokenizerJsonLoader}) — except a file named
 *       {@code vocab.json} with a {@code merges.txt} beside it, which is read as the GPT-2 pair;</li>
 *   <li>{@code *.tiktoken}: an OpenAI rank file whose name gives the encoding ({@link TiktokenLoader});</li>
 *   <li>{@code *.bin}: a llama2.c {@code tokenizer.bin} ({@link Llama2cTokenizerLoader});</li>
 *   <li>any other name: a GGUF if the file starts with the GGUF magic, else an error.</li>
 * </ul>
 * Errors name the path; a path of no accepted form also lists the accepted forms ({@link #FORMS}).
 * Errors inside a file are the loaders' {@link TokenizerFormatException}s, which name the file and field.
 *
 * <p>Example: {@code Tokenizers.open(Path.of("testdata/models/tok512.bin")).encode("Once upon a time", true, false)}
 * → {@code [1, 403, 407, 261, 378]}.
 *
 * <p>The one thing a path cannot say is how many tokens a llama2.c {@code tokenizer.bin} holds for a
 * given checkpoint: run.c reads exactly the checkpoint header's {@code vocab_size} entries. Pass it with
 * {@link #open(Path, int)}; {@link #open(Path)} reads every entry in the file. The other forms carry
 * their own vocabulary size and ignore the argument (a model's embedding table may legitimately be
 * padded beyond its tokenizer's vocabulary, so it is not checked here).
 */
public final class Tokenizers {
    private Tokenizers() {}

    /** The accepted forms, as error messages list them. */
    public static final String FORMS = "a .gguf file, a tokenizer.json, a .tiktoken rank file (cl100k_base, o200k_base, r50k_base, p50k_base), "
            + "a llama2.c tokenizer.bin, or a directory holding tokenizer.json or vocab.json + merges.txt";

    /** Opens the tokenizer at {@code path}, of any form in the class comment; a llama2.c file is read whole. */
    public static Tokenizer open(Path path) throws IOException {
        return open(path, -1);
    }

    /**
     * Opens the tokenizer at {@code path}, of any form in the class comment.
     *
     * @param llama2cVocabSize for a llama2.c {@code tokenizer.bin}, how many tokens to read (the checkpoint
     *                         header's vocab_size), or negative for all of them; ignored by the other forms
     */
    public static Tokenizer open(Path path, int llama2cVocabSize) throws IOException {
        if (Files.isDirectory(path)) return openDirectory(path);
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such tokenizer file or directory (accepted: " + FORMS + ")");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gguf")) return openGguf(path);
        if (name.equals("vocab.json") && Files.isRegularFile(path.resolveSibling("merges.txt"))) {
            return Gpt2FilesLoader.load(path, path.resolveSibling("merges.txt"));
        }
        if (name.endsWith(".json")) return TokenizerJsonLoader.load(path);
        if (name.endsWith(".tiktoken")) return TiktokenLoader.load(path);
        if (name.endsWith(".bin")) return Llama2cTokenizerLoader.load(path, llama2cVocabSize);
        if (startsWithGgufMagic(path)) return openGguf(path);
        throw new TokenizerFormatException(path + ": not a tokenizer form jllm reads (accepted: " + FORMS + ")");
    }

    private static Tokenizer openDirectory(Path dir) throws IOException {
        Path json = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) return TokenizerJsonLoader.load(json);
        Path vocab = dir.resolve("vocab.json"), merges = dir.resolve("merges.txt");
        if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) return Gpt2FilesLoader.load(vocab, merges);
        throw new TokenizerFormatException(dir + ": directory has neither tokenizer.json nor vocab.json + merges.txt (accepted: " + FORMS + ")");
    }

    private static Tokenizer openGguf(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            return GgufTokenizerLoader.load(f); // copies what it needs; the mapping may close
        }
    }

    private static boolean startsWithGgufMagic(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return Arrays.equals(in.readNBytes(4), new byte[] {'G', 'G', 'U', 'F'});
        }
    }
}
