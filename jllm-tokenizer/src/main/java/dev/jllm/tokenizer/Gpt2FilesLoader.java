package dev.jllm.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the original GPT-2 tokenizer files: {@code vocab.json} (byte-level piece → id) and
 * {@code merges.txt} ({@code #version} header, then one "left right" pair per line, best first).
 *
 * <p>Example: {@code Gpt2FilesLoader.load(dir.resolve("vocab.json"), dir.resolve("merges.txt")).encode("Hello world")}
 * → {@code [15496, 995]}. {@code <|endoftext|>} (if present) is a control token and both BOS and EOS,
 * as in GPT-2; no BOS is added by default. Text is split with the GPT-2 regex.
 */
public final class Gpt2FilesLoader {
    private Gpt2FilesLoader() {}

    public static ByteLevelBpe load(Path vocabJson, Path mergesTxt) throws IOException {
        Object root = Json.parse(Files.readString(vocabJson, StandardCharsets.UTF_8), vocabJson.toString());
        if (!(root instanceof Map<?, ?> map)) throw new TokenizerFormatException(vocabJson + ": expected a JSON object of token → id");
        String[] pieces = TokenizerJsonLoader.piecesFromVocab(map, vocabJson.toString());
        List<String[]> merges = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(mergesTxt, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isEmpty() || (lineNo == 1 && line.startsWith("#version"))) continue;
            String[] parts = line.split(" ");
            if (parts.length != 2) throw new TokenizerFormatException(mergesTxt + ":" + lineNo + ": expected two space-separated parts but found '" + line + "'");
            merges.add(parts);
        }
        TokenType[] types = new TokenType[pieces.length];
        List<AddedTokens.Entry> specials = new ArrayList<>();
        int eot = -1;
        for (int i = 0; i < pieces.length; i++) {
            types[i] = pieces[i] == null ? TokenType.UNUSED : TokenType.NORMAL;
            if (pieces[i] == null) pieces[i] = "[UNUSED_" + i + "]";
            if (pieces[i].equals("<|endoftext|>")) {
                types[i] = TokenType.CONTROL;
                eot = i;
                specials.add(new AddedTokens.Entry(i, pieces[i], true, false, false, false));
            }
        }
        try {
            Vocabulary v = new Vocabulary(pieces, null, types, eot, eot, -1, false, false, new int[0]);
            return ByteLevelBpe.fromMerges(v, merges, new PreTokenizer("gpt-2", List.of(PreTokenizer.GPT2)), specials,
                    new ByteLevelBpe.Options(false, null, false, AddedTokens.Order.LEFTMOST_LONGEST));
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(vocabJson + ": " + e.getMessage());
        }
    }
}
