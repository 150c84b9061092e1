package dev.jllm.tokenizer;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * An immutable token table: piece text, score and type per id, the reverse map, the special ids and
 * the set of end-of-generation (EOG) tokens.
 *
 * <p>Example: {@code new Vocabulary(new String[]{"<unk>", "<s>", "</s>", "▁a"}, null, types, 1, 2, 0, true, false, new int[0])}
 * gives {@code id("▁a") == 3}, {@code bos() == 1}, {@code isEog(2) == true}.
 *
 * <p>EOG detection follows llama.cpp ({@code llama_vocab::impl::load}): the EOS id, any extra ids
 * the file names (EOT, EOM), and every token whose text is one of the well-known end-of-turn or
 * fill-in-the-middle pad/separator strings ({@link #EOG_TEXTS}). Such tokens are also forced to
 * {@link TokenType#CONTROL}, as llama.cpp does, so that user text can never produce them unless
 * special parsing is on. The o200k-harmony rule (drop {@code <|end|>} when {@code <|return|>} and
 * {@code <|call|>} exist) is applied; llama.cpp's gemma4 {@code </s>} rule is not (no such vocab here).
 */
public final class Vocabulary {

    /** Token texts that end generation (llama.cpp's EOT/EOG text list plus FIM pad/repo/file-separator tokens). */
    public static final Set<String> EOG_TEXTS = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[",
            "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
            "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>");

    private final String[] pieces;
    private final float[] scores;
    private final TokenType[] types;
    private final Map<String, Integer> ids;
    private final int bos;
    private final int eos;
    private final int unk;
    private final boolean addBos;
    private final boolean addEos;
    private final BitSet eog = new BitSet();

    /**
     * @param pieces   token texts, one per id; an empty text becomes {@code [EMPTY_<id>]} like llama.cpp
     * @param scores   merge scores (SentencePiece) or {@code null} for all zero
     * @param types    token types or {@code null} for all {@link TokenType#NORMAL}
     * @param bos      beginning-of-sequence id or -1
     * @param eos      end-of-sequence id or -1
     * @param unk      unknown-token id or -1
     * @param extraEog further end-of-generation ids (EOT, EOM) named by the file
     */
    public Vocabulary(String[] pieces, float[] scores, TokenType[] types, int bos, int eos, int unk,
                      boolean addBos, boolean addEos, int[] extraEog) {
        int n = pieces.length;
        if (n == 0) throw new IllegalArgumentException("vocabulary is empty");
        if (scores != null && scores.length != n) {
            throw new IllegalArgumentException("vocabulary has " + n + " tokens but " + scores.length + " scores");
        }
        if (types != null && types.length != n) {
            throw new IllegalArgumentException("vocabulary has " + n + " tokens but " + types.length + " token types");
        }
        this.pieces = pieces.clone();
        this.scores = scores == null ? new float[n] : scores.clone();
        this.types = types == null ? filled(n) : types.clone();
        this.ids = HashMap.newHashMap(n);
        for (int i = 0; i < n; i++) {
            if (this.pieces[i] == null || this.pieces[i].isEmpty()) this.pieces[i] = "[EMPTY_" + i + "]";
            if (this.types[i] == null) throw new IllegalArgumentException("token " + i + " has no type");
            Integer prev = ids.putIfAbsent(this.pieces[i], i);
            if (prev != null) {
                throw new IllegalArgumentException("duplicate token in vocabulary: '" + this.pieces[i] + "' has ids " + prev + " and " + i);
            }
        }
        this.bos = checkId("bos", bos, n);
        this.eos = checkId("eos", eos, n);
        this.unk = checkId("unk", unk, n);
        if (addBos && this.bos < 0) throw new IllegalArgumentException("add_bos_token is true but there is no BOS token");
        if (addEos && this.eos < 0) throw new IllegalArgumentException("add_eos_token is true but there is no EOS token");
        this.addBos = addBos;
        this.addEos = addEos;
        findEog(extraEog == null ? new int[0] : extraEog);
    }

    private static TokenType[] filled(int n) {
        TokenType[] t = new TokenType[n];
        Arrays.fill(t, TokenType.NORMAL);
        return t;
    }

    private static int checkId(String what, int id, int n) {
        if (id < -1 || id >= n) throw new IllegalArgumentException(what + " token id " + id + " is outside the vocabulary [0, " + n + ")");
        return id;
    }

    private void findEog(int[] extraEog) {
        if (eos >= 0) eog.set(eos);
        for (int id : extraEog) {
            if (id >= 0 && id < pieces.length) eog.set(id);
        }
        for (int i = 0; i < pieces.length; i++) {
            if (EOG_TEXTS.contains(pieces[i])) {
                eog.set(i);
                if (types[i] == TokenType.NORMAL || types[i] == TokenType.UNDEFINED) types[i] = TokenType.CONTROL;
            }
        }
        // o200k_harmony-style vocabularies use <|end|> between messages, not at the end of a turn.
        Integer end = ids.get("<|end|>");
        if (end != null && ids.containsKey("<|return|>") && ids.containsKey("<|call|>")) eog.clear(end);
    }

    public int size() { return pieces.length; }
    public String piece(int id) { return pieces[check(id)]; }
    public float score(int id) { return scores[check(id)]; }
    public TokenType type(int id) { return types[check(id)]; }
    public int bos() { return bos; }
    public int eos() { return eos; }
    public int unk() { return unk; }
    public boolean addBos() { return addBos; }
    public boolean addEos() { return addEos; }
    public boolean isEog(int id) { return id >= 0 && eog.get(id); }

    /** The id of a piece, or -1 if the vocabulary has no such token. */
    public int id(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    /** Throws a clear error for an id outside the vocabulary; returns the id. */
    public int check(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
        }
        return id;
    }
}
