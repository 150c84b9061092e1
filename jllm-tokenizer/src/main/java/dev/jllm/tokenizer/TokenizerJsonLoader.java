package dev.jllm.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a Hugging Face {@code tokenizer.json} describing a byte-level BPE (GPT-2, LLaMA 3, Qwen,
 * DeepSeek V3 ...) and builds a {@link ByteLevelBpe}.
 *
 * <p>Example: {@code TokenizerJsonLoader.load(Path.of("qwen3/tokenizer.json")).encode("Hello world")}
 * → {@code [9707, 1879]}; with parseSpecial, {@code "<|im_start|>"} in the text becomes 151644.
 *
 * <p>Supported: model BPE (vocab, merges as "a b" strings or [a, b] pairs, ignore_merges);
 * normalizer null, NFC/NFD/NFKC/NFKD or a Sequence with one of them; pre_tokenizer ByteLevel
 * (add_prefix_space, use_regex), Split (Regex/String pattern, behavior Isolated, invert false),
 * Digits, or a Sequence of these — a ByteLevel step is required; decoder ByteLevel or null;
 * post_processor ByteLevel, TemplateProcessing (its single-sequence template gives BOS/EOS) or
 * a Sequence of them; added_tokens with special, lstrip, rstrip, single_word. Anything else is
 * refused with a message naming the field, never silently approximated.
 *
 * <p>Added tokens are matched leftmost-longest on the raw text before normalization (right for the
 * usual normalized=false tokens). Special added tokens are control tokens (parsed only on request),
 * the others user-defined (always parsed), as HF does by default.
 */
public final class TokenizerJsonLoader {
    private TokenizerJsonLoader() {}

    public static ByteLevelBpe load(Path path) throws IOException {
        String src = path.getFileName().toString();
        return build(Json.parse(Files.readString(path, StandardCharsets.UTF_8), src), src);
    }

    static ByteLevelBpe build(Object root, String src) throws TokenizerFormatException {
        Map<?, ?> doc = obj(root, src, "(root)");
        Map<?, ?> model = obj(doc.get("model"), src, "model");
        String type = str(model.get("type"), src, "model.type");
        if (!type.equals("BPE")) throw err(src, "model.type", type, "only BPE");
        if (Boolean.TRUE.equals(model.get("byte_fallback"))) throw err(src, "model.byte_fallback", "true", "only byte-level BPE without byte fallback");
        for (String k : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            Object v = model.get(k);
            if (v != null && !"".equals(v)) throw err(src, "model." + k, String.valueOf(v), "only empty");
        }
        Object dropout = model.get("dropout");
        if (dropout instanceof Number d && d.doubleValue() != 0) throw err(src, "model.dropout", String.valueOf(d), "no dropout when encoding");
        boolean ignoreMerges = Boolean.TRUE.equals(model.get("ignore_merges"));

        String[] vocabPieces = piecesFromVocab(obj(model.get("vocab"), src, "model.vocab"), src);
        List<String[]> merges = new ArrayList<>();
        List<?> mergeList = list(model.get("merges"), src, "model.merges");
        for (int i = 0; i < mergeList.size(); i++) {
            Object m = mergeList.get(i);
            if (m instanceof String s) {
                int sp = s.indexOf(' ', 1);
                if (sp < 0) throw err(src, "model.merges[" + i + "]", s, "\"left right\"");
                merges.add(new String[] {s.substring(0, sp), s.substring(sp + 1)});
            } else if (m instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a && pair.get(1) instanceof String b) {
                merges.add(new String[] {a, b});
            } else {
                throw err(src, "model.merges[" + i + "]", String.valueOf(m), "a string or a pair of strings");
            }
        }

        // vocabulary = model vocab + added tokens (which may extend it)
        List<?> addedList = doc.get("added_tokens") == null ? List.of() : list(doc.get("added_tokens"), src, "added_tokens");
        int n = vocabPieces.length;
        for (int i = 0; i < addedList.size(); i++) n = Math.max(n, (int) num(obj(addedList.get(i), src, "added_tokens[" + i + "]").get("id"), src, "added_tokens[" + i + "].id") + 1);
        String[] pieces = java.util.Arrays.copyOf(vocabPieces, n);
        TokenType[] types = new TokenType[n];
        for (int i = 0; i < vocabPieces.length; i++) if (vocabPieces[i] != null) types[i] = TokenType.NORMAL;
        List<AddedTokens.Entry> entries = new ArrayList<>();
        for (int i = 0; i < addedList.size(); i++) {
            String at = "added_tokens[" + i + "]";
            Map<?, ?> a = obj(addedList.get(i), src, at);
            int id = (int) num(a.get("id"), src, at + ".id");
            String content = str(a.get("content"), src, at + ".content");
            boolean special = Boolean.TRUE.equals(a.get("special"));
            pieces[id] = content;
            types[id] = special ? TokenType.CONTROL : TokenType.USER_DEFINED;
            entries.add(new AddedTokens.Entry(id, content, special, bool(a, "lstrip"), bool(a, "rstrip"), bool(a, "single_word")));
        }
        for (int i = 0; i < n; i++) {
            if (pieces[i] == null) {
                pieces[i] = "[UNUSED_" + i + "]";
                types[i] = TokenType.UNUSED;
            }
        }

        Normalizer.Form form = normalizer(doc.get("normalizer"), src, "normalizer");
        List<String> regexes = new ArrayList<>();
        boolean[] byteLevel = new boolean[2]; // [seen, add_prefix_space]
        preTokenizer(doc.get("pre_tokenizer"), src, "pre_tokenizer", regexes, byteLevel);
        if (!byteLevel[0]) throw err(src, "pre_tokenizer", String.valueOf(doc.get("pre_tokenizer")), "a ByteLevel step (only byte-level BPE is implemented)");
        Object decoder = doc.get("decoder");
        if (decoder != null) {
            String dt = str(obj(decoder, src, "decoder").get("type"), src, "decoder.type");
            if (!dt.equals("ByteLevel")) throw err(src, "decoder.type", dt, "ByteLevel");
        }
        int[] bosEos = {-1, -1};
        postProcessor(doc.get("post_processor"), src, "post_processor", bosEos, pieces);

        try {
            Vocabulary v = new Vocabulary(pieces, null, types, bosEos[0], bosEos[1], -1, bosEos[0] >= 0, bosEos[1] >= 0, new int[0]);
            return ByteLevelBpe.fromMerges(v, merges, new PreTokenizer(src, regexes), entries,
                    new ByteLevelBpe.Options(ignoreMerges, form, byteLevel[1], AddedTokens.Order.LEFTMOST_LONGEST));
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(src + ": " + e.getMessage());
        }
    }

    /** A token → id JSON object as an id-indexed array (null where no token has that id). */
    static String[] piecesFromVocab(Map<?, ?> vocab, String src) throws TokenizerFormatException {
        int max = -1;
        for (var e : vocab.entrySet()) max = Math.max(max, (int) num(e.getValue(), src, "vocab[\"" + e.getKey() + "\"]"));
        String[] pieces = new String[max + 1];
        for (var e : vocab.entrySet()) {
            int id = (int) num(e.getValue(), src, "vocab");
            if (pieces[id] != null) throw new TokenizerFormatException(src + ": vocab ids \"" + pieces[id] + "\" and \"" + e.getKey() + "\" are both " + id);
            pieces[id] = (String) e.getKey();
        }
        return pieces;
    }

    private static Normalizer.Form normalizer(Object o, String src, String at) throws TokenizerFormatException {
        if (o == null) return null;
        Map<?, ?> m = obj(o, src, at);
        String t = str(m.get("type"), src, at + ".type");
        if (t.equals("Sequence")) {
            Normalizer.Form found = null;
            List<?> parts = list(m.get("normalizers"), src, at + ".normalizers");
            for (int i = 0; i < parts.size(); i++) {
                Normalizer.Form f = normalizer(parts.get(i), src, at + ".normalizers[" + i + "]");
                if (f != null && found != null) throw err(src, at, "two Unicode normalizations", "at most one");
                if (f != null) found = f;
            }
            return found;
        }
        return switch (t) {
            case "NFC" -> Normalizer.Form.NFC;
            case "NFD" -> Normalizer.Form.NFD;
            case "NFKC" -> Normalizer.Form.NFKC;
            case "NFKD" -> Normalizer.Form.NFKD;
            default -> throw err(src, at + ".type", t, "NFC, NFD, NFKC, NFKD or Sequence");
        };
    }

    private static void preTokenizer(Object o, String src, String at, List<String> regexes, boolean[] byteLevel) throws TokenizerFormatException {
        if (o == null) return;
        Map<?, ?> m = obj(o, src, at);
        String t = str(m.get("type"), src, at + ".type");
        switch (t) {
            case "Sequence" -> {
                List<?> parts = list(m.get("pretokenizers"), src, at + ".pretokenizers");
                for (int i = 0; i < parts.size(); i++) preTokenizer(parts.get(i), src, at + ".pretokenizers[" + i + "]", regexes, byteLevel);
            }
            case "ByteLevel" -> {
                byteLevel[0] = true;
                byteLevel[1] = bool(m, "add_prefix_space");
                if (!Boolean.FALSE.equals(m.get("use_regex"))) regexes.add(PreTokenizer.GPT2); // HF default: use_regex = true
            }
            case "Split" -> {
                String behavior = str(m.get("behavior"), src, at + ".behavior");
                if (!behavior.equals("Isolated")) throw err(src, at + ".behavior", behavior, "only 'Isolated'");
                if (bool(m, "invert")) throw err(src, at + ".invert", "true", "only false");
                Map<?, ?> pat = obj(m.get("pattern"), src, at + ".pattern");
                if (pat.get("Regex") instanceof String r) regexes.add(r);
                else if (pat.get("String") instanceof String s) regexes.add(Pattern.quote(s));
                else throw err(src, at + ".pattern", String.valueOf(pat), "{\"Regex\": ...} or {\"String\": ...}");
            }
            case "Digits" -> regexes.add(bool(m, "individual_digits") ? "\\p{N}" : "\\p{N}+");
            default -> throw err(src, at + ".type", t, "Sequence, ByteLevel, Split or Digits");
        }
    }

    private static void postProcessor(Object o, String src, String at, int[] bosEos, String[] pieces) throws TokenizerFormatException {
        if (o == null) return;
        Map<?, ?> m = obj(o, src, at);
        String t = str(m.get("type"), src, at + ".type");
        switch (t) {
            case "ByteLevel" -> { }
            case "Sequence" -> {
                List<?> parts = list(m.get("processors"), src, at + ".processors");
                for (int i = 0; i < parts.size(); i++) postProcessor(parts.get(i), src, at + ".processors[" + i + "]", bosEos, pieces);
            }
            case "TemplateProcessing" -> {
                List<?> single = list(m.get("single"), src, at + ".single");
                Map<?, ?> specials = m.get("special_tokens") == null ? Map.of() : obj(m.get("special_tokens"), src, at + ".special_tokens");
                boolean seenSequence = false;
                for (int i = 0; i < single.size(); i++) {
                    Map<?, ?> item = obj(single.get(i), src, at + ".single[" + i + "]");
                    if (item.containsKey("Sequence")) {
                        seenSequence = true;
                    } else if (item.get("SpecialToken") instanceof Map<?, ?> st && st.get("id") instanceof String name) {
                        int id = specialId(specials, name, pieces, src, at);
                        if (seenSequence) bosEos[1] = id;
                        else bosEos[0] = id;
                    } else {
                        throw err(src, at + ".single[" + i + "]", String.valueOf(item), "Sequence or SpecialToken");
                    }
                }
            }
            default -> throw err(src, at + ".type", t, "ByteLevel, TemplateProcessing or Sequence");
        }
    }

    private static int specialId(Map<?, ?> specials, String name, String[] pieces, String src, String at) throws TokenizerFormatException {
        if (specials.get(name) instanceof Map<?, ?> def && def.get("ids") instanceof List<?> ids && ids.size() == 1) {
            return (int) num(ids.getFirst(), src, at + ".special_tokens." + name + ".ids[0]");
        }
        for (int i = 0; i < pieces.length; i++) if (name.equals(pieces[i])) return i;
        throw err(src, at + ".special_tokens", name, "a token of the vocabulary");
    }

    private static boolean bool(Map<?, ?> m, String key) {
        return Boolean.TRUE.equals(m.get(key));
    }

    private static Map<?, ?> obj(Object o, String src, String at) throws TokenizerFormatException {
        if (o instanceof Map<?, ?> m) return m;
        throw new TokenizerFormatException(src + ": " + at + " should be a JSON object but is " + describe(o));
    }

    private static List<?> list(Object o, String src, String at) throws TokenizerFormatException {
        if (o instanceof List<?> l) return l;
        throw new TokenizerFormatException(src + ": " + at + " should be a JSON array but is " + describe(o));
    }

    private static String str(Object o, String src, String at) throws TokenizerFormatException {
        if (o instanceof String s) return s;
        throw new TokenizerFormatException(src + ": " + at + " should be a string but is " + describe(o));
    }

    private static long num(Object o, String src, String at) throws TokenizerFormatException {
        if (o instanceof Long l && l >= 0 && l < Integer.MAX_VALUE) return l;
        throw new TokenizerFormatException(src + ": " + at + " should be a non-negative integer id but is " + describe(o));
    }

    private static String describe(Object o) {
        if (o == null) return "missing/null";
        String s = String.valueOf(o);
        return o.getClass().getSimpleName() + " " + (s.length() > 60 ? s.substring(0, 60) + "..." : s);
    }

    private static TokenizerFormatException err(String src, String field, String value, String supported) {
        return new TokenizerFormatException(src + ": " + field + " '" + value + "' is not supported (supported: " + supported + ")");
    }
}
