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
 *
 * <p>Speed without changing the result: llama.cpp runs the merge loop over the whole text at once.
 * Here the text is first cut between two characters that appear next to each other in no token
 * (usually before each '▁'): no merge can ever join symbols across such a cut, so each chunk merges
 * on its own exactly as it would inside the whole text (its merges keep their relative order, ties
 * included). Chunks are then short, so the loop is a linear scan for the best pair over a few
 * symbols (a heap only for long chunks), token lookups hash a range of the text instead of
 * allocating substrings, and whole chunks ("▁the") are cached like byte-level BPE's words.
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
    private final PieceTable pieces;
    private final float[] scores;
    // direct-mapped like ByteLevelBpe's word cache: immutable entries, racy updates only cost a recomputation
    private final Cached[] cache = new Cached[CACHE_SLOTS];

    private static final int CACHE_MAX_CHUNK = 64;
    private static final int CACHE_SLOTS = 1 << 16;
    /** Chunks of at most this many symbols merge by linear scans; longer ones through a heap. */
    private static final int LINEAR_MAX = 24;

    /** A cached chunk → ids result; immutable, so racy publication between threads is safe. */
    private record Cached(String chunk, int hash, int[] ids) {}

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
        this.pieces = new PieceTable(vocab);
        this.scores = new float[vocab.size()];
        for (int id = 0; id < vocab.size(); id++) scores[id] = vocab.score(id);
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
        return encode(text, addSpecial, parseSpecial, null);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, java.util.BitSet literal) {
        return encode(text, addSpecial, true, literal);
    }

    private int[] encode(String text, boolean addSpecial, boolean parseSpecial, java.util.BitSet literal) {
        ByteLevelBpe.IntList out = new ByteLevelBpe.IntList(text.length() / 2 + 4);
        if (addSpecial && vocab.addBos()) out.add(vocab.bos());
        boolean prevSpecial = true;
        for (AddedTokens.Fragment f : added.split(text, parseSpecial, literal)) {
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

    /** The score-driven merge loop over one escaped text fragment, chunk by chunk. */
    private void tokenize(String text, ByteLevelBpe.IntList out) {
        Scratch sc = new Scratch();
        int n = text.length();
        int start = 0, prevCp = -1;
        for (int i = 0; i < n; ) {
            int cp = text.codePointAt(i);
            if (prevCp >= 0 && !pieces.adjacent(prevCp, cp)) {
                encodeChunk(text, start, i, sc, out);
                start = i;
            }
            prevCp = cp;
            i += Character.charCount(cp);
        }
        if (n > 0) encodeChunk(text, start, n, sc, out);
    }

    /** One chunk from the cache, or merged and cached when short enough. */
    private void encodeChunk(String t, int from, int to, Scratch sc, ByteLevelBpe.IntList out) {
        int len = to - from;
        if (len > CACHE_MAX_CHUNK) {
            merge(t, from, to, sc, out);
            return;
        }
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + t.charAt(i);
        int slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
        Cached c = cache[slot];
        if (c != null && c.hash() == h && c.chunk().length() == len && c.chunk().regionMatches(0, t, from, len)) {
            out.addAll(c.ids());
            return;
        }
        int mark = out.size();
        merge(t, from, to, sc, out);
        cache[slot] = new Cached(t.substring(from, to), h, out.copyFrom(mark));
    }

    /**
     * Merges the symbols (code points) of t[from, to): always the adjacent pair whose concatenation is
     * the token with the highest score, the leftmost on ties (llama.cpp's llm_bigram_spm order),
     * until no pair is a token; then emits each symbol's id or its bytes.
     */
    private void merge(String t, int from, int to, Scratch sc, ByteLevelBpe.IntList out) {
        int n = sc.load(t, from, to);
        int[] start = sc.start, end = sc.end, next = sc.next;
        if (n <= LINEAR_MAX) {
            // few symbols: scan for the best pair each round; pair[i] = token id of (i, next[i]) or -1
            int[] pair = sc.pair;
            for (int i = 0; i + 1 < n; i++) pair[i] = pieces.find(t, start[i], end[i + 1]);
            if (n > 0) pair[n - 1] = -1;
            while (true) {
                int best = -1;
                float bs = 0;
                for (int i = 0; i >= 0; i = next[i]) {
                    int id = pair[i];
                    if (id >= 0 && (best < 0 || scores[id] > bs)) {
                        bs = scores[id];
                        best = i;
                    }
                }
                if (best < 0) break;
                int j = next[best];
                end[best] = end[j];
                next[best] = next[j];
                pair[best] = next[best] >= 0 ? pieces.find(t, start[best], end[next[best]]) : -1;
                int p = sc.prev(best);
                if (p >= 0) pair[p] = pieces.find(t, start[p], end[best]);
            }
        } else {
            int[] prev = sc.prev;
            boolean[] dead = sc.dead;
            LongHeap heap = sc.heap;
            for (int i = 0; i + 1 < n; i++) push(heap, t, start[i], end[i + 1], i);
            while (!heap.isEmpty()) {
                long v = heap.pop();
                int i = (int) v;
                int j = next[i];
                if (dead[i] || j < 0) continue;
                // Re-check the pair as it is now: a stale entry whose pair changed has a different key.
                int id = pieces.find(t, start[i], end[j]);
                if (id < 0 || key(scores[id], i) != v) continue;
                end[i] = end[j];
                dead[j] = true;
                next[i] = next[j];
                if (next[j] >= 0) prev[next[j]] = i;
                if (prev[i] >= 0) push(heap, t, start[prev[i]], end[i], prev[i]);
                if (next[i] >= 0) push(heap, t, start[i], end[next[i]], i);
            }
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            int id = pieces.find(t, start[i], end[i]);
            if (id >= 0) {
                out.add(id);
            } else {
                // not a token, so never merged: one code point, emitted as its UTF-8 bytes (byte fallback)
                int cp = t.codePointAt(start[i]);
                if (cp < 0x80) {
                    addByte(cp, out);
                } else if (cp < 0x800) {
                    addByte(0xC0 | cp >> 6, out);
                    addByte(0x80 | cp & 0x3F, out);
                } else if (cp < 0x10000) {
                    addByte(0xE0 | cp >> 12, out);
                    addByte(0x80 | cp >> 6 & 0x3F, out);
                    addByte(0x80 | cp & 0x3F, out);
                } else {
                    addByte(0xF0 | cp >> 18, out);
                    addByte(0x80 | cp >> 12 & 0x3F, out);
                    addByte(0x80 | cp >> 6 & 0x3F, out);
                    addByte(0x80 | cp & 0x3F, out);
                }
            }
        }
    }

    private void addByte(int b, ByteLevelBpe.IntList out) {
        if (byteTokens[b] >= 0) out.add(byteTokens[b]);
    }

    private void push(LongHeap heap, String t, int from, int to, int left) {
        int id = pieces.find(t, from, to);
        if (id >= 0) heap.push(key(scores[id], left));
    }

    /** Heap key: higher score first, then the leftmost pair (llama.cpp's llm_bigram_spm comparator). */
    private static long key(float score, int left) {
        int bits = Float.floatToIntBits(score == 0f ? 0f : score);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ordered << 32) | left;
    }

    /** Per-call symbol arrays, grown to the longest chunk (one allocation per encode, not per chunk). */
    private static final class Scratch {
        int[] start = new int[0], end = start, next = start, prev = start;
        int[] pair = start;
        boolean[] dead = new boolean[0];
        LongHeap heap;

        /** Symbols = the code points of t[from, to), linked left to right; returns their number. */
        int load(String t, int from, int to) {
            int cap = to - from;
            if (start.length < cap) {
                int c = Math.max(cap, 2 * start.length);
                start = new int[c];
                end = new int[c];
                next = new int[c];
                prev = new int[c];
                pair = new int[c];
                dead = new boolean[c];
            }
            int n = 0;
            for (int pos = from; pos < to; n++) {
                start[n] = pos;
                pos += Character.charCount(t.codePointAt(pos));
                end[n] = pos;
                next[n] = pos < to ? n + 1 : -1;
            }
            if (n > LINEAR_MAX) {
                for (int i = 0; i < n; i++) {
                    prev[i] = i - 1;
                    dead[i] = false;
                }
                if (heap == null) heap = new LongHeap(n);
            }
            return n;
        }

        /** The live symbol left of i (linear-scan mode keeps no prev links: chunks are short). */
        int prev(int i) {
            int p = -1;
            for (int k = 0; k != i; k = next[k]) p = k;
            return p;
        }
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
