package dev.jllm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * SentencePiece-style BPE as llama.cpp runs it for {@code tokenizer.ggml.model = "llama"}
 * ({@code llm_tokenizer_spm}): spaces become '▁', a '▁' is prepended to text (add_space_prefix),
 * the text is split into characters and the adjacent pair whose concatenation is the vocabulary
 * token with the highest score is merged, repeatedly (ties: leftmost). Characters that end up in
 * no token are emitted as {@code <0xXX>} byte tokens (byte fallback).
 *
 * <p>Example (stories260K): {@code encode("Once upon a time", true, false)} → text {@code "▁Once▁upon▁a▁time"}
 * → {@code [1, 403, 407, 261, 378]} = BOS, "▁Once", "▁upon", "▁a", "▁time".
 *
 * <p>Decoding (chosen to match llama.cpp's {@code llama_detokenize} with remove_special = false):
 * each token's bytes are joined ('▁' → space, {@code <0xE4>} → byte 0xE4); when add_space_prefix
 * is on, one leading space is removed from the <em>first</em> token of the sequence only. If that first
 * token is BOS, BOS renders as nothing and the space of the next token stays — so
 * {@code decode([1, 403])} is {@code " Once"} while {@code decode([403])} is {@code "Once"}, exactly
 * like llama.cpp (and llama-simple's echo {@code "<s> Once"}). With {@link Options#llama2cDecode()}
 * the rule is llama2.c's run.c instead: a token that directly follows BOS loses its leading space.
 */
public final class SentencePieceBpe implements Tokenizer {

    /**
     * @param addSpacePrefix prepend '▁' to each text fragment that starts the input or follows a special token
     * @param llama2cDecode  decode like llama2.c run.c (strip the space after BOS) instead of llama.cpp
     */
    public record Options(boolean addSpacePrefix, boolean llama2cDecode) {}

    private final Vocabulary vocab;
    private final Options options;
    private final AddedTokens added;
    private final byte[][] tokenBytes;
    private final int[] byteTokens = new int[256];

    public SentencePieceBpe(Vocabulary vocab, Options options) {
        this.vocab = vocab;
        this.options = options;
        // llama.cpp matches control, unknown and user-defined tokens literally before the model runs.
        List<AddedTokens.Entry> entries = new ArrayList<>();
        for (int id = 0; id < vocab.size(); id++) {
            TokenType t = vocab.type(id);
            if (t == TokenType.CONTROL || t == TokenType.UNKNOWN || t == TokenType.USER_DEFINED) {
                entries.add(new AddedTokens.Entry(id, vocab.piece(id), t != TokenType.USER_DEFINED, false, false, false));
            }
        }
        this.added = new AddedTokens(entries, AddedTokens.Order.LONGEST_TOKEN_FIRST);
        this.tokenBytes = TokenBytes.compute(vocab, p -> p.replace('▁', ' ').getBytes(StandardCharsets.UTF_8));
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = vocab.id(String.valueOf((char) b)); // llama.cpp's fallback: the byte as text
            byteTokens[b] = id >= 0 ? id : vocab.unk();
        }
    }

    public Options options() {
        return options;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        ByteLevelBpe.IntList out = new ByteLevelBpe.IntList(text.length() / 2 + 4);
        if (addSpecial && vocab.addBos()) out.add(vocab.bos());
        boolean prevSpecial = true;
        for (AddedTokens.Fragment f : added.split(text, parseSpecial)) {
            switch (f) {
                case AddedTokens.Token(int id) -> {
                    out.add(id);
                    prevSpecial = true;
                }
                case AddedTokens.Text(String t) -> {
                    String u = Utf16.replaceLoneSurrogates(t);
                    String s = options.addSpacePrefix() && prevSpecial ? " " + u : u;
                    tokenize(s.replace(' ', '▁'), out);
                    prevSpecial = false;
                }
            }
        }
        if (addSpecial && vocab.addEos()) out.add(vocab.eos());
        return out.toArray();
    }

    /** The score-driven merge loop over one escaped text fragment. */
    private void tokenize(String text, ByteLevelBpe.IntList out) {
        int n = text.codePointCount(0, text.length());
        if (n == 0) return;
        int[] start = new int[n];
        int[] end = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0, pos = 0; i < n; i++) {
            start[i] = pos;
            pos += Character.charCount(text.codePointAt(pos));
            end[i] = pos;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) push(heap, text, start, end, i, i + 1);
        while (!heap.isEmpty()) {
            long v = heap.pop();
            int i = (int) v;
            int j = next[i];
            if (dead[i] || j < 0) continue;
            // Re-check the pair as it is now: a stale entry whose pair changed has a different key.
            int id = vocab.id(text.substring(start[i], end[j]));
            if (id < 0 || key(vocab.score(id), i) != v) continue;
            end[i] = end[j];
            dead[j] = true;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) push(heap, text, start, end, prev[i], i);
            if (next[i] >= 0) push(heap, text, start, end, i, next[i]);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            String piece = text.substring(start[i], end[i]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
            } else {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    if (byteTokens[b & 0xff] >= 0) out.add(byteTokens[b & 0xff]);
                }
            }
        }
    }

    private void push(LongHeap heap, String text, int[] start, int[] end, int left, int right) {
        int id = vocab.id(text.substring(start[left], end[right]));
        if (id >= 0) heap.push(key(vocab.score(id), left));
    }

    /** Heap key: higher score first, then the leftmost pair (llama.cpp's llm_bigram_spm comparator). */
    private static long key(float score, int left) {
        int bits = Float.floatToIntBits(score == 0f ? 0f : score);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ordered << 32) | left;
    }

    @Override
    public String decode(int[] ids, boolean renderSpecial) {
        if (options.llama2cDecode()) {
            return TokenBytes.join(vocab, tokenBytes, ids, renderSpecial, i -> i > 0 && ids[i - 1] == vocab.bos());
        }
        boolean strip = options.addSpacePrefix();
        return TokenBytes.join(vocab, tokenBytes, ids, renderSpecial, i -> strip && i == 0);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return tokenBytes[vocab.check(id)].clone();
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public String toString() {
        return "SentencePieceBpe[" + vocab.size() + " tokens, add_space_prefix=" + options.addSpacePrefix() + "]";
    }
}
