package dev.jllm.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Trains a byte-level BPE vocabulary, the algorithm of HF tokenizers' {@code BpeTrainer} with the
 * tie-breaking of the Stanford CS336 reference (testdata/tokenizers/bpe-cs336):
 *
 * <ol>
 *   <li>Text is cut at the special tokens (which are never merged across and never counted), then
 *       pre-tokenized; identical pre-tokens ("words") are counted once with a multiplicity. Counting
 *       runs on {@link Options#threads()} threads over chunks cut where the pre-tokenizer would cut
 *       anyway (see {@link #safeCut}), so the counts equal a single-threaded pass.</li>
 *   <li>Each word becomes its UTF-8 bytes. Adjacent-pair counts are kept in a table together with
 *       an index of the words each pair occurs in.</li>
 *   <li>A max-heap orders pairs by count, ties by the lexicographically greater pair (left token's
 *       bytes, then right token's bytes, unsigned). Counts only ever drop for pairs already in the
 *       heap (every pair that gains count contains the new token), so a popped entry whose count is
 *       stale is pushed back with its current count ("lazy" correction) instead of updating the heap
 *       on every change.</li>
 *   <li>The best pair is merged in exactly the words the index names, left to right without overlap;
 *       neighbouring pair counts are adjusted locally and the new pairs pushed.</li>
 * </ol>
 *
 * <p>Ids: special tokens first (in the given order), then the 256 bytes in GPT-2's byte-character
 * order (printable bytes first, as {@code bytes_to_unicode} lists them), then one token per merge.
 *
 * <p>Invalid UTF-8 in input files becomes U+FFFD (policy shared with encoding), never an error.
 *
 * <p>Example: {@code BpeTrainer.train(List.of("low lower lowest"), new Options(260, List.of(), GPT2, 1), null)}
 * learns 4 merges; {@code .toTokenizerJson()} is a file HF tokenizers and {@link TokenizerJsonLoader} read.
 */
public final class BpeTrainer {
    /** Input chunks for parallel counting are at least this long (chars) unless a segment is shorter. */
    static final int CHUNK_CHARS = 1 << 20;
    private static final long BATCH_BYTES = 32L << 20;

    /**
     * @param vocabSize     total tokens wanted: specials + 256 bytes + merges (training stops early when no pair is left)
     * @param specialTokens tokens kept whole and never merged across, e.g. {@code <|endoftext|>}
     * @param preTokenizer  how text is split into words before counting
     * @param threads       word-counting threads (merging itself is sequential)
     */
    public record Options(int vocabSize, List<String> specialTokens, TrainingPreTokenizer preTokenizer, int threads) {
        public Options {
            specialTokens = List.copyOf(specialTokens);
            if (preTokenizer == null) throw new IllegalArgumentException("a pre-tokenizer is required (supported: " + TrainingPreTokenizer.supportedNames() + ")");
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            for (String s : specialTokens) if (s.isEmpty()) throw new IllegalArgumentException("a special token is empty");
            if (specialTokens.stream().distinct().count() != specialTokens.size()) throw new IllegalArgumentException("special tokens repeat: " + specialTokens);
            int min = specialTokens.size() + 256;
            if (vocabSize < min) throw new IllegalArgumentException("vocab size " + vocabSize + " is below " + min + " (special tokens + 256 bytes)");
        }
    }

    /** Progress callbacks: word counting (bytes done of total) and merging (merges done of wanted). */
    public interface Progress {
        void counting(long bytesDone, long bytesTotal);

        void merging(int mergesDone, int mergesWanted);
    }

    private BpeTrainer() {}

    /** Trains on files read as UTF-8 (invalid bytes → U+FFFD); files are counted in parallel batches of about 32 MB. */
    public static TrainedBpe trainFiles(List<Path> files, Options options, Progress progress) throws IOException {
        long total = 0;
        for (Path f : files) total += Files.size(f);
        WordCounter counter = new WordCounter(options, CHUNK_CHARS);
        List<String> batch = new ArrayList<>();
        long batchBytes = 0;
        long done = 0;
        for (int i = 0; i < files.size(); i++) {
            byte[] bytes = Files.readAllBytes(files.get(i));
            batch.add(new String(bytes, StandardCharsets.UTF_8));
            batchBytes += bytes.length;
            if (batchBytes >= BATCH_BYTES || i == files.size() - 1) {
                counter.add(batch);
                done += batchBytes;
                batch.clear();
                batchBytes = 0;
                if (progress != null) progress.counting(done, total);
            }
        }
        return merge(counter.result(), counter.bytes, options, progress);
    }

    /** Trains on in-memory texts (each text is a separate document: nothing is merged across texts). */
    public static TrainedBpe train(List<String> texts, Options options, Progress progress) {
        WordCounter counter = new WordCounter(options, CHUNK_CHARS);
        counter.add(texts);
        return merge(counter.result(), counter.bytes, options, progress);
    }

    /** Word → count, for tests and tools: what the trainer sees after pre-tokenization. */
    static Map<String, Long> countWords(List<String> texts, Options options, int chunkChars) {
        WordCounter counter = new WordCounter(options, chunkChars);
        counter.add(texts);
        return counter.result();
    }

    /** Parallel word counting over safe chunks of each text. */
    private static final class WordCounter {
        private final Options options;
        private final int chunkChars;
        private final PreTokenizer pre;
        private final List<Map<String, long[]>> perThread = new ArrayList<>();
        private long bytes;

        WordCounter(Options options, int chunkChars) {
            this.options = options;
            this.chunkChars = chunkChars;
            this.pre = options.preTokenizer().preTokenizer();
            for (int i = 0; i < options.threads(); i++) perThread.add(new HashMap<>());
        }

        void add(List<String> texts) {
            List<String> owner = new ArrayList<>();
            List<int[]> chunks = new ArrayList<>();
            for (String text : texts) {
                bytes += utf8Length(text);
                int before = chunks.size();
                for (int[] seg : splitOnSpecials(text, options.specialTokens())) chunk(text, seg[0], seg[1], chunkChars, chunks);
                for (int k = before; k < chunks.size(); k++) owner.add(text);
            }
            if (options.threads() == 1 || chunks.size() <= 1) {
                for (int k = 0; k < chunks.size(); k++) count(owner.get(k), chunks.get(k), perThread.getFirst());
                return;
            }
            AtomicInteger next = new AtomicInteger();
            try (ExecutorService pool = Executors.newFixedThreadPool(options.threads(), r -> {
                Thread t = new Thread(r, "bpe-count");
                t.setDaemon(true);
                return t;
            })) {
                List<Future<?>> fs = new ArrayList<>();
                for (Map<String, long[]> m : perThread) {
                    fs.add(pool.submit(() -> {
                        for (int k; (k = next.getAndIncrement()) < chunks.size(); ) count(owner.get(k), chunks.get(k), m);
                    }));
                }
                for (Future<?> f : fs) f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while counting words", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException(e.getCause());
            }
        }

        private void count(String text, int[] chunk, Map<String, long[]> into) {
            for (String w : pre.split(text.substring(chunk[0], chunk[1]))) {
                long[] c = into.get(w);
                if (c == null) into.put(w, new long[] {1});
                else c[0]++;
            }
        }

        Map<String, Long> result() {
            Map<String, Long> all = new HashMap<>();
            for (Map<String, long[]> m : perThread) m.forEach((w, c) -> all.merge(w, c[0], Long::sum));
            return all;
        }
    }

    /** [start, end) ranges of text between special tokens (leftmost, longest special first at a position). */
    static List<int[]> splitOnSpecials(String text, List<String> specials) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length() && !specials.isEmpty()) {
            String hit = null;
            for (String s : specials) {
                if (text.startsWith(s, i) && (hit == null || s.length() > hit.length())) hit = s;
            }
            if (hit == null) {
                i++;
                continue;
            }
            if (i > start) out.add(new int[] {start, i});
            i += hit.length();
            start = i;
        }
        if (start < text.length()) out.add(new int[] {start, text.length()});
        return out;
    }

    /** Cuts [from, to) into pieces of about {@code size} chars at {@link #safeCut} positions. */
    static void chunk(String text, int from, int to, int size, List<int[]> out) {
        int start = from;
        int p = from + size;
        while (p < to) {
            if (safeCut(text, p)) {
                out.add(new int[] {start, p});
                start = p;
                p += size;
            } else {
                p++;
            }
        }
        out.add(new int[] {start, to});
    }

    /**
     * True where every training pre-tokenizer (none has {@code $} or look-behind) splits the text the
     * same way whether it sees the whole text or the two halves. Two shapes qualify:
     * <ul>
     *   <li>whitespace, then a space at p, then a non-space: the whitespace run before p is one
     *       {@code \s+(?!\S)} pre-token either way (its look-ahead sees a space or the end), and the
     *       space at p starts the next word;</li>
     *   <li>a non-space, a newline, then a letter at p: the newline ends the previous pre-token or is
     *       one itself, and no pattern takes a newline in front of a letter.</li>
     * </ul>
     * The trainer's tests check that counts with and without chunking are equal on real corpora.
     */
    static boolean safeCut(String t, int p) {
        if (p < 2 || p + 1 >= t.length()) return false;
        char c = t.charAt(p);
        char b = t.charAt(p - 1);
        if (c == ' ') return isWhiteSpace(b) && !isWhiteSpace(t.charAt(p + 1)) && !Character.isSurrogate(t.charAt(p + 1));
        return b == '\n' && Character.isLetter(c) && !isWhiteSpace(t.charAt(p - 2));
    }

    /** Unicode White_Space (what {@code \s} means in tokenizer regexes). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }

    /** GPT-2's byte order: the printable bytes in byte order, then the 68 others in byte order. */
    static int[] byteOrder() {
        int[] order = new int[256];
        int k = 0;
        for (int b = 0; b < 256; b++) if (ByteLevel.charOf(b) == b) order[k++] = b;
        for (int b = 0; b < 256; b++) if (ByteLevel.charOf(b) != b) order[k++] = b;
        return order;
    }

    private static TrainedBpe merge(Map<String, Long> wordCounts, long corpusBytes, Options options, Progress progress) {
        return new Merger(wordCounts, options, progress).run(corpusBytes);
    }

    /** The merge loop over the counted words. */
    private static final class Merger {
        private final Options options;
        private final Progress progress;
        private final List<byte[]> tokens = new ArrayList<>();
        private final List<int[]> merges = new ArrayList<>();
        // words
        private final int[][] sym;
        private final int[] len;
        private final long[] count;
        private final int[] visited;
        // pairs: open-addressing map pair key → slot, per-slot count and word index
        private long[] tableKeys;
        private int[] tableSlots;
        private long[] pairKey = new long[1024];
        private long[] pairCount = new long[1024];
        private int[][] where = new int[1024][];
        private int[] whereLen = new int[1024];
        private int[] touchedStamp = new int[1024];
        private int pairs;
        private final List<Integer> touched = new ArrayList<>();
        private final PriorityQueue<long[]> heap;

        Merger(Map<String, Long> wordCounts, Options options, Progress progress) {
            this.options = options;
            this.progress = progress;
            for (String s : options.specialTokens()) tokens.add(s.getBytes(StandardCharsets.UTF_8));
            int first = tokens.size();
            int[] byteId = new int[256];
            int[] order = byteOrder();
            for (int k = 0; k < 256; k++) {
                byteId[order[k]] = first + k;
                tokens.add(new byte[] {(byte) order[k]});
            }
            int n = wordCounts.size();
            sym = new int[n][];
            len = new int[n];
            count = new long[n];
            visited = new int[n];
            // sorted so that ids, and with them everything downstream, do not depend on hash order
            List<Map.Entry<String, Long>> entries = new ArrayList<>(wordCounts.entrySet());
            entries.sort(Map.Entry.comparingByKey());
            int w = 0;
            for (var e : entries) {
                byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
                sym[w] = new int[b.length];
                for (int i = 0; i < b.length; i++) sym[w][i] = byteId[b[i] & 0xff];
                len[w] = b.length;
                count[w] = e.getValue();
                w++;
            }
            int cap = Integer.highestOneBit(Math.max(1024, n * 4)) << 1;
            tableKeys = new long[cap];
            tableSlots = new int[cap];
            Arrays.fill(tableKeys, -1L);
            heap = new PriorityQueue<>(Math.max(16, n), this::better);
        }

        /** Heap order: higher count first, then the lexicographically greater (left bytes, right bytes). */
        private int better(long[] x, long[] y) {
            if (x[1] != y[1]) return Long.compare(y[1], x[1]);
            long kx = pairKey[(int) x[0]];
            long ky = pairKey[(int) y[0]];
            int c = Arrays.compareUnsigned(tokens.get(left(ky)), tokens.get(left(kx)));
            if (c != 0) return c;
            return Arrays.compareUnsigned(tokens.get(right(ky)), tokens.get(right(kx)));
        }

        private static int left(long key) {
            return (int) (key >>> 32);
        }

        private static int right(long key) {
            return (int) key;
        }

        TrainedBpe run(long corpusBytes) {
            long t0 = System.nanoTime();
            for (int w = 0; w < sym.length; w++) {
                for (int i = 0; i + 1 < len[w]; i++) add(sym[w][i], sym[w][i + 1], count[w], w);
            }
            List<long[]> initial = new ArrayList<>(pairs);
            for (int s = 0; s < pairs; s++) if (pairCount[s] > 0) initial.add(new long[] {s, pairCount[s]});
            heap.addAll(initial);
            touched.clear();
            int wanted = options.vocabSize() - tokens.size();
            int stamp = 0;
            while (merges.size() < wanted && !heap.isEmpty()) {
                long[] top = heap.poll();
                int slot = (int) top[0];
                long current = pairCount[slot];
                if (current != top[1]) {
                    if (current > 0) heap.add(new long[] {slot, current});
                    continue;
                }
                if (current <= 0) break;
                int a = left(pairKey[slot]);
                int b = right(pairKey[slot]);
                int n = tokens.size();
                byte[] ab = Arrays.copyOf(tokens.get(a), tokens.get(a).length + tokens.get(b).length);
                System.arraycopy(tokens.get(b), 0, ab, tokens.get(a).length, tokens.get(b).length);
                tokens.add(ab);
                merges.add(new int[] {a, b});
                stamp++;
                int[] ws = where[slot];
                int wl = whereLen[slot];
                for (int k = 0; k < wl; k++) {
                    int w = ws[k];
                    if (visited[w] == stamp) continue;
                    visited[w] = stamp;
                    mergeWord(w, a, b, n);
                }
                pairCount[slot] = 0;
                where[slot] = null;
                whereLen[slot] = 0;
                for (int s : touched) if (pairCount[s] > 0) heap.add(new long[] {s, pairCount[s]});
                touched.clear();
                if (progress != null && (merges.size() % 256 == 0 || merges.size() == wanted)) progress.merging(merges.size(), wanted);
            }
            return new TrainedBpe(tokens, merges, options.specialTokens().size(), options.preTokenizer(),
                    new TrainedBpe.Stats(corpusBytes, sym.length, System.nanoTime() - t0));
        }

        /** Merges (a, b) → n in one word, left to right, adjusting the neighbouring pairs' counts. */
        private void mergeWord(int w, int a, int b, int n) {
            int[] s = sym[w];
            int l = len[w];
            long c = count[w];
            for (int i = 0; i + 1 < l; i++) {
                if (s[i] != a || s[i + 1] != b) continue;
                if (i > 0) {
                    add(s[i - 1], a, -c, -1);
                    add(s[i - 1], n, c, w);
                }
                if (i + 2 < l) {
                    add(b, s[i + 2], -c, -1);
                    add(n, s[i + 2], c, w);
                }
                s[i] = n;
                System.arraycopy(s, i + 2, s, i + 1, l - i - 2);
                l--;
            }
            len[w] = l;
        }

        /** Adds delta to a pair's count; a positive delta also records the word in the pair's index. */
        private void add(int x, int y, long delta, int word) {
            long key = ((long) x << 32) | (y & 0xffffffffL);
            int slot = slot(key);
            pairCount[slot] += delta;
            if (delta > 0) {
                int[] ws = where[slot];
                int wl = whereLen[slot];
                if (ws == null) where[slot] = ws = new int[4];
                else if (wl == ws.length) where[slot] = ws = Arrays.copyOf(ws, wl * 2);
                ws[wl] = word;
                whereLen[slot] = wl + 1;
                if (merges.isEmpty()) return; // the initial count pushes every pair itself
                if (touchedStamp[slot] != merges.size()) {
                    touchedStamp[slot] = merges.size();
                    touched.add(slot);
                }
            }
        }

        private int slot(long key) {
            int mask = tableKeys.length - 1;
            long h = key * 0x9E3779B97F4A7C15L;
            int i = (int) (h ^ (h >>> 29)) & mask;
            long k;
            while ((k = tableKeys[i]) != -1L) {
                if (k == key) return tableSlots[i];
                i = (i + 1) & mask;
            }
            int s = pairs++;
            if (s == pairKey.length) {
                int cap = s * 2;
                pairKey = Arrays.copyOf(pairKey, cap);
                pairCount = Arrays.copyOf(pairCount, cap);
                where = Arrays.copyOf(where, cap);
                whereLen = Arrays.copyOf(whereLen, cap);
                touchedStamp = Arrays.copyOf(touchedStamp, cap);
            }
            pairKey[s] = key;
            tableKeys[i] = key;
            tableSlots[i] = s;
            if (pairs * 2 > tableKeys.length) rehash();
            return s;
        }

        private void rehash() {
            long[] old = tableKeys;
            int[] oldSlots = tableSlots;
            tableKeys = new long[old.length * 2];
            tableSlots = new int[old.length * 2];
            Arrays.fill(tableKeys, -1L);
            int mask = tableKeys.length - 1;
            for (int j = 0; j < old.length; j++) {
                if (old[j] == -1L) continue;
                long h = old[j] * 0x9E3779B97F4A7C15L;
                int i = (int) (h ^ (h >>> 29)) & mask;
                while (tableKeys[i] != -1L) i = (i + 1) & mask;
                tableKeys[i] = old[j];
                tableSlots[i] = oldSlots[j];
            }
        }
    }
}
