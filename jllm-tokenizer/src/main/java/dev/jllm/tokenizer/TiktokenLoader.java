package dev.jllm.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an OpenAI tiktoken rank file ({@code <base64 token bytes> <rank>} per line) and builds a
 * byte-level BPE in which any two adjacent tokens whose concatenation is a token merge, lowest
 * rank first — tiktoken's rule.
 *
 * <p>Example: {@code TiktokenLoader.load(Path.of("cl100k_base.tiktoken")).encode("Hello world")} →
 * {@code [9906, 1917]}. The split regex and special tokens are recognised from the file name
 * ({@link #ENCODINGS}: r50k_base, p50k_base, cl100k_base, o200k_base); other files need
 * {@link #load(Path, Encoding)}. Special tokens are control tokens: {@code <|endoftext|>} in text
 * stays plain text unless encode is called with parseSpecial = true.
 */
public final class TiktokenLoader {

    /** How an encoding splits text and which special tokens it adds (tiktoken_ext/openai_public.py). */
    public record Encoding(String name, String pattern, Map<String, Integer> specialTokens) {
        public Encoding {
            specialTokens = Map.copyOf(specialTokens);
        }
    }

    static final String R50K = "'(?:[sdmt]|ll|ve|re)| ?\\p{L}++| ?\\p{N}++| ?[^\\s\\p{L}\\p{N}]++|\\s++$|\\s+(?!\\S)|\\s";
    static final String CL100K = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s";
    static final String O200K = String.join("|",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "\\p{N}{1,3}", " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*", "\\s*[\\r\\n]+", "\\s+(?!\\S)", "\\s+");

    /** The encodings recognised by file name. */
    public static final Map<String, Encoding> ENCODINGS = Map.of(
            "r50k_base", new Encoding("r50k_base", R50K, Map.of("<|endoftext|>", 50256)),
            "p50k_base", new Encoding("p50k_base", R50K, Map.of("<|endoftext|>", 50256)),
            "cl100k_base", new Encoding("cl100k_base", CL100K, Map.of("<|endoftext|>", 100257, "<|fim_prefix|>", 100258,
                    "<|fim_middle|>", 100259, "<|fim_suffix|>", 100260, "<|endofprompt|>", 100276)),
            "o200k_base", new Encoding("o200k_base", O200K, Map.of("<|endoftext|>", 199999, "<|endofprompt|>", 200018)));

    private TiktokenLoader() {}

    /** Loads a rank file whose name (without {@code .tiktoken}) is one of {@link #ENCODINGS}. */
    public static ByteLevelBpe load(Path path) throws IOException {
        String name = path.getFileName().toString().replaceFirst("\\.tiktoken$", "");
        Encoding enc = ENCODINGS.get(name);
        if (enc == null) {
            throw new TokenizerFormatException(path + ": cannot tell the encoding from the file name '" + name
                    + "' (known: " + String.join(", ", new java.util.TreeSet<>(ENCODINGS.keySet())) + "); use load(path, encoding)");
        }
        return load(path, enc);
    }

    public static ByteLevelBpe load(Path path, Encoding enc) throws IOException {
        Map<Integer, String> byRank = new LinkedHashMap<>();
        int max = -1;
        int lineNo = 0;
        for (String line : Files.readAllLines(path, StandardCharsets.US_ASCII)) {
            lineNo++;
            if (line.isBlank()) continue;
            int sp = line.indexOf(' ');
            if (sp <= 0) throw new TokenizerFormatException(path + ":" + lineNo + ": expected '<base64> <rank>' but found '" + abbreviate(line) + "'");
            byte[] bytes;
            int rank;
            try {
                bytes = Base64.getDecoder().decode(line.substring(0, sp));
                rank = Integer.parseInt(line.substring(sp + 1).strip());
            } catch (IllegalArgumentException e) {
                throw new TokenizerFormatException(path + ":" + lineNo + ": bad base64 or rank in '" + abbreviate(line) + "'");
            }
            if (rank < 0) throw new TokenizerFormatException(path + ":" + lineNo + ": negative rank " + rank);
            if (byRank.put(rank, ByteLevel.encode(bytes)) != null) throw new TokenizerFormatException(path + ":" + lineNo + ": rank " + rank + " appears twice");
            max = Math.max(max, rank);
        }
        if (byRank.isEmpty()) throw new TokenizerFormatException(path + ": no ranks found");
        for (int id : enc.specialTokens().values()) max = Math.max(max, id);
        int n = max + 1;
        String[] pieces = new String[n];
        TokenType[] types = new TokenType[n];
        byRank.forEach((rank, piece) -> {
            pieces[rank] = piece;
            types[rank] = TokenType.NORMAL;
        });
        List<AddedTokens.Entry> specials = new ArrayList<>();
        for (var e : enc.specialTokens().entrySet()) {
            int id = e.getValue();
            if (pieces[id] != null) throw new TokenizerFormatException(path + ": special token " + e.getKey() + " id " + id + " collides with a rank in the file");
            pieces[id] = e.getKey();
            types[id] = TokenType.CONTROL;
            specials.add(new AddedTokens.Entry(id, e.getKey(), true, false, false, false));
        }
        for (int i = 0; i < n; i++) {
            if (pieces[i] == null) { // tiktoken leaves some ranks unused (e.g. cl100k 100256)
                pieces[i] = "[UNUSED_" + i + "]";
                types[i] = TokenType.UNUSED;
            }
        }
        Integer eot = enc.specialTokens().get("<|endoftext|>");
        try {
            Vocabulary v = new Vocabulary(pieces, null, types, -1, eot == null ? -1 : eot, -1, false, false, new int[0]);
            return ByteLevelBpe.fromRanks(v, new PreTokenizer(enc.name(), List.of(enc.pattern())), specials,
                    new ByteLevelBpe.Options(false, null, false, AddedTokens.Order.LEFTMOST_LONGEST));
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(path + ": " + e.getMessage());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
