package dev.jllm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE (GPT-2, LLaMA 3, Qwen, DeepSeek, tiktoken...): text is split into pre-tokens by
 * regex, each pre-token's UTF-8 bytes become byte characters ({@link ByteLevel}), and adjacent
 * symbols are merged by merge rank until no rule applies.
 *
 * <p>Example (GPT-2 vocabulary): {@code encode("Hello world")} → pre-tokens {@code "Hello", " world"}
 * → byte strings {@code "Hello", "Ġworld"} → ids {@code [15496, 995]}; {@code decode([15496, 995])}
 * gives {@code "Hello world"} back.
 *
 * <p>The merge loop keeps symbols in a linked list and candidate pairs in a heap keyed by
 * (rank, position), so a word of n bytes costs O(n log n), not O(n²); pairs made stale by an
 * earlier merge are detected when popped by re-looking-up the pair's rank. Pre-tokens come from
 * {@link PreTokenizer#split(String, FastSplit.Sink)} as ranges (no substring unless new) and
 * results for short ones are kept in a direct-mapped cache of immutable entries. Instances are
 * immutable apart from that cache, whose racy updates are benign, so {@link #encode} is safe to
 * call from many threads.
 */
public final class ByteLevelBpe implements Tokenizer {
    private static final int CACHE_MAX_WORD = 64;
    private static final int CACHE_SLOTS = 1 << 17;
    /** Words of at most this many bytes merge by linear scans ({@link #linearMerge}), longer ones through a heap. */
    private static final int LINEAR_MAX = 32;

    /** A cached pre-token → ids result; immutable, so racy publication between threads is safe. */
    private record Cached(String word, int hash, int[] ids) {}

    /**
     * Encoding options (set by the loaders: {@link GgufTokenizerLoader}, {@link TokenizerJsonLoader},
     * {@link Gpt2FilesLoader}, {@link TiktokenLoader}).
     *
     * @param ignoreMerges   a pre-token that is itself a token is emitted whole (LLaMA 3, HF {@code ignore_merges})
     * @param normalization  Unicode normalization applied to text fragments, or null (Qwen: NFC)
     * @param addPrefixSpace prepend a space to each text fragment not starting with one (HF ByteLevel option)
     * @param order          how literal added tokens are matched
     */
    record Options(boolean ignoreMerges, Normalizer.Form normalization, boolean addPrefixSpace, AddedTokens.Order order) {
        Options {
            if (order == null) throw new IllegalArgumentException("added-token match order is required");
        }
    }

    private final Vocabulary vocab;
    private final MergeTable merges;
    private final String[] virtualPieces;
    private final int[] byteSymbol = new int[256];
    private final PreTokenizer pre;
    private final AddedTokens added;
    private final Options options;
    private final byte[][] tokenBytes;
    // direct-mapped: a lookup is one array read and a region compare, no allocation; collisions just evict
    private final Cached[] cache = new Cached[CACHE_SLOTS];

    private ByteLevelBpe(Vocabulary vocab, MergeTable merges, String[] virtualPieces, PreTokenizer pre,
                         List<AddedTokens.Entry> addedTokens, Options options) {
        this.vocab = vocab;
        this.merges = merges;
        this.virtualPieces = virtualPieces;
        this.pre = pre;
        this.options = options;
        this.added = new AddedTokens(addedTokens, options.order());
        for (int b = 0; b < 256; b++) byteSymbol[b] = vocab.id(String.valueOf(ByteLevel.charOf(b)));
        this.tokenBytes = TokenBytes.compute(vocab, ByteLevel::decode);
    }

    /**
     * A tokenizer from an explicit merges list (GGUF {@code tokenizer.ggml.merges}, tokenizer.json,
     * merges.txt). Rank = position in the list; each pair is two byte-level strings.
     */
    static ByteLevelBpe fromMerges(Vocabulary vocab, List<String[]> mergePairs, PreTokenizer pre,
                                          List<AddedTokens.Entry> addedTokens, Options options) {
        Map<String, Integer> virtual = new HashMap<>();
        MergeTable table = new MergeTable(mergePairs.size());
        for (int r = 0; r < mergePairs.size(); r++) {
            String[] p = mergePairs.get(r);
            table.put(symbol(vocab, virtual, p[0]), symbol(vocab, virtual, p[1]), r, symbol(vocab, virtual, p[0] + p[1]));
        }
        return new ByteLevelBpe(vocab, table, virtualArray(vocab, virtual), pre, addedTokens, options);
    }

    /**
     * A tokenizer whose merge priority is the rank (id) of the merged token, as in tiktoken: any two
     * adjacent tokens whose concatenation is a token may merge, the lowest resulting id first.
     * Only normal tokens take part.
     */
    static ByteLevelBpe fromRanks(Vocabulary vocab, PreTokenizer pre, List<AddedTokens.Entry> addedTokens, Options options) {
        MergeTable table = new MergeTable(vocab.size() * 4);
        for (int id = 0; id < vocab.size(); id++) {
            if (vocab.type(id) != TokenType.NORMAL) continue;
            String p = vocab.piece(id);
            for (int k = 1; k < p.length(); k++) {
                int l = vocab.id(p.substring(0, k));
                int r = vocab.id(p.substring(k));
                if (l >= 0 && r >= 0 && vocab.type(l) == TokenType.NORMAL && vocab.type(r) == TokenType.NORMAL) table.put(l, r, id, id);
            }
        }
        return new ByteLevelBpe(vocab, table, new String[0], pre, addedTokens, options);
    }

    private static int symbol(Vocabulary vocab, Map<String, Integer> virtual, String s) {
        int id = vocab.id(s);
        return id >= 0 ? id : virtual.computeIfAbsent(s, k -> vocab.size() + virtual.size());
    }

    private static String[] virtualArray(Vocabulary vocab, Map<String, Integer> virtual) {
        String[] a = new String[virtual.size()];
        virtual.forEach((s, id) -> a[id - vocab.size()] = s);
        return a;
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
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial && vocab.addBos()) out.add(vocab.bos());
        for (AddedTokens.Fragment f : added.split(text, parseSpecial, literal)) {
            switch (f) {
                case AddedTokens.Token(int id) -> out.add(id);
                case AddedTokens.Text(String t) -> encodeText(t, out);
            }
        }
        if (addSpecial && vocab.addEos()) out.add(vocab.eos());
        return out.toArray();
    }

    private void encodeText(String text, IntList out) {
        String t = Utf16.replaceLoneSurrogates(text);
        if (options.normalization() != null && !Normalizer.isNormalized(t, options.normalization())) t = Normalizer.normalize(t, options.normalization());
        if (options.addPrefixSpace() && !t.startsWith(" ")) t = " " + t;
        String s = t;
        pre.split(s, (from, to) -> encodePiece(s, from, to, out));
    }

    private void encodePiece(String t, int from, int to, IntList out) {
        int len = to - from;
        if (len > CACHE_MAX_WORD) {
            out.addAll(encodeWord(t.substring(from, to)));
            return;
        }
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + t.charAt(i);
        int slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
        Cached c = cache[slot];
        if (c != null && c.hash() == h && c.word().length() == len && c.word().regionMatches(0, t, from, len)) {
            out.addAll(c.ids());
            return;
        }
        String word = t.substring(from, to);
        int[] ids = encodeWord(word);
        cache[slot] = new Cached(word, h, ids);
        out.addAll(ids);
    }

    /** BPE over one pre-token. */
    int[] encodeWord(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        if (options.ignoreMerges()) {
            int whole = vocab.id(ByteLevel.encode(bytes));
            if (whole >= 0) return new int[] {whole};
        }
        if (n <= LINEAR_MAX) return linearMerge(bytes);
        int[] sym = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteSymbol[bytes[i] & 0xff];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) push(heap, i, merges.rank(sym[i], sym[i + 1]));
        while (!heap.isEmpty()) {
            long v = heap.pop();
            int rank = (int) (v >>> 32);
            int i = (int) v;
            int j = next[i];
            // stale: the left symbol was absorbed, has no right neighbour, or the pair changed
            if (dead[i] || j < 0 || merges.rank(sym[i], sym[j]) != rank) continue;
            sym[i] = merges.result(rank);
            dead[j] = true;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) push(heap, prev[i], merges.rank(sym[prev[i]], sym[i]));
            if (next[i] >= 0) push(heap, i, merges.rank(sym[i], sym[next[i]]));
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) emit(sym[i], out);
        return out.toArray();
    }

    /**
     * The same merges for a short word as tiktoken does them: scan the pair ranks for the lowest
     * (leftmost on ties), merge, update the two neighbouring ranks. O(n²), but for the few bytes of a
     * typical word cheaper than the heap and its linked list (a new word in English is mostly this).
     */
    private int[] linearMerge(byte[] bytes) {
        int n = bytes.length;
        int[] sym = new int[n];
        int[] rank = new int[n]; // rank[i] = rank of the pair (sym[i], sym[i + 1]), -1 = none
        for (int i = 0; i < n; i++) sym[i] = byteSymbol[bytes[i] & 0xff];
        for (int i = 0; i + 1 < n; i++) rank[i] = merges.rank(sym[i], sym[i + 1]);
        if (n > 0) rank[n - 1] = -1;
        while (true) {
            int best = -1, br = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                int r = rank[i];
                if (r >= 0 && r < br) {
                    br = r;
                    best = i;
                }
            }
            if (best < 0) break;
            sym[best] = merges.result(br);
            System.arraycopy(sym, best + 2, sym, best + 1, n - best - 2);
            System.arraycopy(rank, best + 2, rank, best + 1, n - best - 2);
            n--;
            rank[best] = best + 1 < n ? merges.rank(sym[best], sym[best + 1]) : -1;
            if (best > 0) rank[best - 1] = merges.rank(sym[best - 1], sym[best]);
        }
        boolean allTokens = true;
        for (int i = 0; i < n; i++) allTokens &= sym[i] >= 0 && sym[i] < vocab.size();
        if (allTokens) return n == sym.length ? sym : Arrays.copyOf(sym, n);
        IntList out = new IntList(n);
        for (int i = 0; i < n; i++) emit(sym[i], out);
        return out.toArray();
    }

    /** A final symbol's id, or for a virtual (non-token) merge result the ids of its characters. */
    private void emit(int s, IntList out) {
        if (s >= 0 && s < vocab.size()) {
            out.add(s);
        } else if (s >= vocab.size()) {
            // a merge produced a string that is not a token: fall back to its characters
            for (char c : virtualPieces[s - vocab.size()].toCharArray()) {
                int id = vocab.id(String.valueOf(c));
                if (id >= 0) out.add(id);
            }
        }
    }

    private static void push(LongHeap heap, int pos, int rank) {
        if (rank >= 0) heap.push(((long) rank << 32) | pos);
    }

    @Override
    public String decode(int[] ids, boolean renderSpecial) {
        return TokenBytes.join(vocab, tokenBytes, ids, renderSpecial, i -> false);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return tokenBytes[vocab.check(id)].clone();
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    public PreTokenizer preTokenizer() {
        return pre;
    }

    @Override
    public String toString() {
        return "ByteLevelBpe[" + vocab.size() + " tokens, " + merges.size() + " merges, " + pre.name() + "]";
    }

    /** Growable int array without boxing. */
    static final class IntList {
        private int[] a;
        private int n;

        IntList(int cap) {
            a = new int[Math.max(4, cap)];
        }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        void addAll(int[] v) {
            if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(n + v.length, n * 2));
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        int size() {
            return n;
        }

        /** The values added since {@code size()} was {@code from}. */
        int[] copyFrom(int from) {
            return Arrays.copyOfRange(a, from, n);
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
