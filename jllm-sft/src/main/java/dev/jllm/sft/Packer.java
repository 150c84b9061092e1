package dev.jllm.sft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Which training samples go where in micro-batch m: a pure function of (seed, m) and the prepared
 * data, with no random-generator state to checkpoint.
 *
 * <p><b>Draws.</b> The mix is an endless sequence of draws k = 0, 1, 2...: draw k takes its source
 * from a hash of (seed, k) by the normalized weights (so proportions are per sample, as
 * LLaMA-Factory's {@code interleave_probs}), and is that source's next sample: its j-th draw is
 * sample {@code perm(seed, source, epoch = j / n)[j % n]}, a fresh shuffle per epoch of that source.
 * Sources cycle independently, so a small source repeats (oversampling) while a large one is still in
 * its first epoch, and steps may run past any epoch.
 *
 * <p><b>Micro-batches.</b> PAD: micro-batch m holds draws [m·B, m·B + B), one per row. PACK: draws are
 * taken in order, each into the first of the B rows with room (greedy first-fit); the first draw that
 * fits no row closes the micro-batch and opens the next one, so no sample is ever skipped or reordered
 * across micro-batches.
 *
 * <p><b>Cost.</b> Where draw k lands depends on how many earlier draws each source had and (PACK) on
 * earlier lengths, so the plan is built by replaying draws from the start — integer work on sample
 * lengths, not tokens — with a snapshot every {@value #SNAPSHOT_EVERY} micro-batches. In-order access
 * (training) is O(1) per micro-batch; a resumed run replays once (10⁶ draws take well under a second).
 */
final class Packer {
    static final int SNAPSHOT_EVERY = 64;

    /** A sample's place in the micro-batch: see {@link SftBatch.Placement} (segment is counted by the caller). */
    record Slot(int row, int offset, int length, int source, int sample, int epoch) {}

    /** A sequence of samples to lay out: the next one's length (or -1 when exhausted), and taking it. */
    interface Draws {
        int peekLength();

        /** Consumes the draw {@link #peekLength} described and returns its slot at (row, offset). */
        Slot take(int row, int offset, int length);
    }

    private final long seed;
    private final int rows, seqLen;
    private final boolean pack;
    private final double[] cumulative;
    private final int[][] lengths;  // per source, per training sample
    private final long[] sourceSeeds;

    // the replay cursor: state at the start of micro-batch curM
    private long curM, curK;
    private final long[] curCounts;
    private final List<long[]> snapshots = new ArrayList<>(); // snapshots.get(i) = state at micro-batch i·SNAPSHOT_EVERY
    private final Map<Long, int[]> perms = new LinkedHashMap<>(16, 0.75f, true);

    Packer(long seed, int rows, int seqLen, boolean pack, double[] probabilities, int[][] lengths, long[] sourceSeeds) {
        this.seed = seed;
        this.rows = rows;
        this.seqLen = seqLen;
        this.pack = pack;
        this.lengths = lengths;
        this.sourceSeeds = sourceSeeds;
        this.cumulative = new double[probabilities.length];
        double acc = 0;
        for (int i = 0; i < probabilities.length; i++) cumulative[i] = acc += probabilities[i];
        cumulative[cumulative.length - 1] = 1.0; // rounding must not leave a gap at the top
        this.curCounts = new long[lengths.length];
        snapshots.add(state());
    }

    /** The slots of micro-batch m. */
    synchronized List<Slot> plan(long m) {
        seek(m);
        return step(true);
    }

    /** Training draws used by micro-batches 0..m-1. */
    synchronized long drawsBefore(long m) {
        seek(m);
        return curK;
    }

    /** The smallest m such that micro-batches 0..m-1 use at least {@code draws} draws. */
    synchronized long microBatchesFor(long draws) {
        if (!pack) return (draws + rows - 1) / rows;
        seek(0);
        while (curK < draws) step(false);
        return curM;
    }

    /** Lays out one micro-batch from {@code draws}: PAD one per row, PACK greedy first-fit (shared with validation). */
    static List<Slot> fill(int rows, int seqLen, boolean pack, Draws draws) {
        List<Slot> out = new ArrayList<>();
        int[] used = new int[rows];
        for (int len; (len = draws.peekLength()) >= 0; ) {
            int r = 0;
            if (pack) {
                while (r < rows && used[r] + len > seqLen) r++;
            } else {
                r = out.size();
            }
            if (r == rows) break;
            out.add(draws.take(r, used[r], len));
            used[r] += len;
        }
        return out;
    }

    private List<Slot> step(boolean record) {
        List<Slot> slots = fill(rows, seqLen, pack, new Draws() {
            public int peekLength() {
                int s = source(curK);
                return lengths[s][sampleOf(s, curCounts[s])];
            }

            public Slot take(int row, int offset, int length) {
                int s = source(curK);
                long j = curCounts[s]++;
                curK++;
                return record ? new Slot(row, offset, length, s, sampleOf(s, j), (int) (j / lengths[s].length)) : null;
            }
        });
        curM++;
        if (curM % SNAPSHOT_EVERY == 0 && curM / SNAPSHOT_EVERY == snapshots.size()) snapshots.add(state());
        return slots;
    }

    /** Moves the cursor to the start of micro-batch m: forward by replay, backward from the nearest snapshot. */
    private void seek(long m) {
        if (m < 0) throw new IllegalArgumentException("micro-batch index must be >= 0, got " + m);
        if (m < curM || m - curM > SNAPSHOT_EVERY) {
            int i = (int) Math.min(m / SNAPSHOT_EVERY, snapshots.size() - 1);
            if ((long) i * SNAPSHOT_EVERY > curM || m < curM) restore(i);
        }
        while (curM < m) step(false);
    }

    private long[] state() {
        long[] s = Arrays.copyOf(curCounts, curCounts.length + 2);
        s[curCounts.length] = curM;
        s[curCounts.length + 1] = curK;
        return s;
    }

    private void restore(int i) {
        long[] s = snapshots.get(i);
        System.arraycopy(s, 0, curCounts, 0, curCounts.length);
        curM = s[curCounts.length];
        curK = s[curCounts.length + 1];
    }

    /** The source of draw k, from a hash of (seed, k): no generator state. */
    private int source(long k) {
        double u = (mix64(seed ^ mix64(k + 0x632BE59BD9B4E019L)) >>> 11) * 0x1.0p-53;
        int s = 0;
        while (u >= cumulative[s] && s < cumulative.length - 1) s++;
        return s;
    }

    /** Sample index of source s's j-th draw: position j % n of that epoch's shuffle. */
    private int sampleOf(int s, long j) {
        int n = lengths[s].length;
        return perm(s, j / n)[(int) (j % n)];
    }

    private int[] perm(int s, long epoch) {
        long key = epoch * lengths.length + s;
        int[] p = perms.get(key);
        if (p != null) return p;
        p = shuffle(lengths[s].length, seed ^ sourceSeeds[s] ^ mix64(epoch + 1));
        perms.put(key, p);
        if (perms.size() > 4 * lengths.length + 4) perms.remove(perms.keySet().iterator().next()); // least recently used
        return p;
    }

    /** 0..n-1 in Fisher–Yates order for this seed. */
    static int[] shuffle(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom rnd = new SplittableRandom(mix64(seed));
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** SplitMix64's finalizer: a well-mixed 64-bit hash of x. */
    static long mix64(long x) {
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }
}
