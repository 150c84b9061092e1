package dev.jllm.tokenizer;

import dev.jllm.gguf.GgufArray;
import dev.jllm.gguf.GgufFile;
import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufValue;
import dev.jllm.gguf.GgufValueType;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds a {@link Tokenizer} from a GGUF file's {@code tokenizer.ggml.*} metadata with llama.cpp's
 * defaults ({@code llama_vocab::impl::load}).
 *
 * <p>Example: {@code try (GgufFile f = GgufFile.open(path)) { Tokenizer t = GgufTokenizerLoader.load(f); }}
 * — for {@code tokenizer.ggml.model = "llama"} this is a {@link SentencePieceBpe} with BOS added and
 * add_space_prefix on unless the file says otherwise; for {@code "gpt2"} a {@link ByteLevelBpe} whose
 * pre-tokenizer is chosen by {@code tokenizer.ggml.pre}.
 *
 * <p>Defaults kept from llama.cpp: "llama" → bos 1, eos 2, unk 0, add_bos true; "gpt2" → bos = eos = 11
 * (llama.cpp's historical default, used only when the file names none and id 11 exists), no
 * add_bos unless the pre-tokenizer is llama3-style. Special ids outside the vocabulary (e.g. the
 * 4294967295 some converters write) fall back to the default, as llama.cpp does.
 */
public final class GgufTokenizerLoader {
    private GgufTokenizerLoader() {}

    public static Tokenizer load(GgufFile f) throws TokenizerFormatException {
        try {
            return loadChecked(f);
        } catch (GgufFormatException e) {
            throw new TokenizerFormatException(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(f.path() + ": " + e.getMessage());
        }
    }

    private static Tokenizer loadChecked(GgufFile f) throws GgufFormatException, TokenizerFormatException {
        String model = f.getString("tokenizer.ggml.model");
        if (model == null) throw new TokenizerFormatException(f.path() + ": metadata key 'tokenizer.ggml.model' is missing (no tokenizer in this file)");
        GgufArray tokArr = f.getArray("tokenizer.ggml.tokens");
        if (tokArr == null || tokArr.elementType() != GgufValueType.STRING) {
            throw new TokenizerFormatException(f.path() + ": 'tokenizer.ggml.tokens' is missing or not an array of strings");
        }
        String[] tokens = tokArr.strings();
        int n = tokens.length;
        float[] scores = scores(f, n);
        TokenType[] types = types(f, n);
        boolean spm = switch (model) {
            case "llama" -> true;
            case "gpt2" -> false;
            default -> throw new TokenizerFormatException(f.path() + ": tokenizer.ggml.model '" + model + "' is not supported (supported: llama, gpt2)");
        };
        String pre = f.getString("tokenizer.ggml.pre");
        PreTokenizer preTok = spm ? null : PreTokenizer.forGgufPre(pre);
        boolean llama3Style = !spm && PreTokenizer.LLAMA3.equals(preTok.regexes().getFirst());
        int bos = specialId(f, "tokenizer.ggml.bos_token_id", spm ? 1 : 11, n);
        int eos = specialId(f, "tokenizer.ggml.eos_token_id", spm ? 2 : 11, n);
        int unk = specialId(f, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, n);
        int eot = specialId(f, "tokenizer.ggml.eot_token_id", -1, n);
        int eom = specialId(f, "tokenizer.ggml.eom_token_id", -1, n);
        boolean addBos = bool(f, "tokenizer.ggml.add_bos_token", spm || llama3Style);
        boolean addEos = bool(f, "tokenizer.ggml.add_eos_token", false);
        Vocabulary vocab = new Vocabulary(tokens, scores, types, bos, eos, unk, addBos, addEos, new int[] {eot, eom});
        if (spm) {
            boolean addSpacePrefix = bool(f, "tokenizer.ggml.add_space_prefix", true);
            return new SentencePieceBpe(vocab, new SentencePieceBpe.Options(addSpacePrefix, false));
        }
        GgufArray mergeArr = f.getArray("tokenizer.ggml.merges");
        if (mergeArr == null || mergeArr.elementType() != GgufValueType.STRING) {
            throw new TokenizerFormatException(f.path() + ": 'tokenizer.ggml.merges' is missing or not an array of strings (required for gpt2 tokenizers)");
        }
        List<String[]> merges = new ArrayList<>(mergeArr.length());
        String[] m = mergeArr.strings();
        for (int i = 0; i < m.length; i++) {
            // llama.cpp splits at the first space after position 0, so a merge may start with a space
            int sp = m[i].indexOf(' ', 1);
            if (sp < 0) throw new TokenizerFormatException(f.path() + ": tokenizer.ggml.merges[" + i + "] '" + m[i] + "' has no space between its two parts");
            merges.add(new String[] {m[i].substring(0, sp), m[i].substring(sp + 1)});
        }
        List<AddedTokens.Entry> literal = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            TokenType t = vocab.type(id);
            if (t == TokenType.CONTROL || t == TokenType.UNKNOWN || t == TokenType.USER_DEFINED) {
                literal.add(new AddedTokens.Entry(id, vocab.piece(id), t != TokenType.USER_DEFINED, false, false, false));
            }
        }
        return ByteLevelBpe.fromMerges(vocab, merges, preTok, literal,
                new ByteLevelBpe.Options(llama3Style, null, false, AddedTokens.Order.LONGEST_TOKEN_FIRST));
    }

    private static float[] scores(GgufFile f, int n) throws GgufFormatException, TokenizerFormatException {
        GgufArray a = f.getArray("tokenizer.ggml.scores");
        if (a == null) return null;
        float[] s;
        if (a.elementType() == GgufValueType.FLOAT32) {
            s = a.floats();
        } else if (a.elementType() == GgufValueType.INT32) {
            int[] iv = a.ints();
            s = new float[iv.length];
            for (int i = 0; i < iv.length; i++) s[i] = iv[i];
        } else {
            throw new TokenizerFormatException(f.path() + ": 'tokenizer.ggml.scores' should be FLOAT32 or INT32 but is " + a.elementType());
        }
        if (s.length < n) throw new TokenizerFormatException(f.path() + ": 'tokenizer.ggml.scores' has " + s.length + " entries for " + n + " tokens");
        return java.util.Arrays.copyOf(s, n);
    }

    private static TokenType[] types(GgufFile f, int n) throws GgufFormatException, TokenizerFormatException {
        GgufArray a = f.getArray("tokenizer.ggml.token_type");
        if (a == null) return null;
        if (a.elementType() != GgufValueType.INT32) {
            throw new TokenizerFormatException(f.path() + ": 'tokenizer.ggml.token_type' should be INT32 but is " + a.elementType());
        }
        int[] codes = a.ints();
        if (codes.length < n) throw new TokenizerFormatException(f.path() + ": 'tokenizer.ggml.token_type' has " + codes.length + " entries for " + n + " tokens");
        TokenType[] t = new TokenType[n];
        for (int i = 0; i < n; i++) t[i] = TokenType.fromCode(codes[i]);
        return t;
    }

    private static int specialId(GgufFile f, String key, int def, int n) throws GgufFormatException {
        long v = f.getLong(key, -1);
        if (v >= 0 && v < n) return (int) v;
        return def < n ? def : -1;
    }

    private static boolean bool(GgufFile f, String key, boolean def) throws TokenizerFormatException {
        GgufValue v = f.get(key);
        if (v == null) return def;
        if (v.value() instanceof Boolean b) return b;
        throw new TokenizerFormatException(f.path() + ": metadata key '" + key + "' should be a bool but is " + v.type());
    }
}
