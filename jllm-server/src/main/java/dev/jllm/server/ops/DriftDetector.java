package dev.jllm.server.ops;

import dev.jllm.server.store.ConversationStore.Bucket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The "model got lazy" alarm: a one-sided CUSUM per model version on standardised bucket (hourly)
 * means of the answers' length in characters, downwards, and on the rate of empty or refusing
 * answers, upwards — each against the version's baseline.
 *
 * <p><b>Buckets.</b> Hours; a quiet version's consecutive hours are merged until a bucket has
 * {@code minAnswers} answers, so every bucket is judged on the same footing.
 *
 * <p><b>Baseline.</b> A version's own baseline is learnt from its first {@code baselineBuckets}
 * buckets: the mean length μ, the spread of the bucket means σ<sub>b</sub> (hour-to-hour variation: time
 * of day, traffic mix), the pooled within-bucket standard deviation σ<sub>w</sub>, and the
 * empty-or-refusal rate p. It keeps learning from later buckets close to it ({@link #absorbZ}: within 2σ
 * until it has seen a whole day, within 1σ after), up to a week of them, so the hours of a time of day it
 * had not met become normal while a drop never does. A version that takes over from another of the same
 * model is on <em>probation</em>: compared with the baseline in effect for its predecessor (so a
 * promotion that makes answers shorter fires on the new version) until it has served
 * {@code probationBuckets} buckets and learnt a baseline of its own from buckets close to that one; a
 * version whose answers stay shorter stays on probation, alarmed. The first version of a model learns
 * before it is watched.
 *
 * <p><b>Statistic.</b> For a bucket with n answers of mean x̄: z = (μ − x̄) / √(max(σ<sub>b</sub>, f·μ)² +
 * σ<sub>w</sub>²/n), f = {@code lengthFloor} (5%; 10% until the baseline has seen a whole day): a change
 * smaller than that is not worth an alarm however much traffic makes it significant. The CUSUM
 * S ← max(0, S + z − k) alarms while S > h, with k = 1 and h = 4: shifts under 1σ never accumulate
 * (the time-of-day swing stays quiet), answers 40% shorter fire within three hours (two, typically),
 * 30% within four; stable traffic alarmed twice in 200 synthetic 54-hour runs with a ±8% daily swing
 * and never without (DriftCharacteristicsTest). The rate's z is (p̂ − p) / √(p(1−p)/n + r²),
 * r = {@code rateFloor} (2 points).
 *
 * <p><b>Why a CUSUM on bucket means.</b> Per-answer lengths are heavy-tailed and not independent
 * within an hour (one user's session, one kind of prompt), so a two-sample test on raw answers alarms
 * on any unusual hour; bucket means are close to normal; the CUSUM adds up a small persistent shift that
 * one window would miss, resets by itself when the shift ends, and is tuned by the shift worth
 * detecting (k) and the false-alarm rate (h) instead of a window length.
 */
public final class DriftDetector {
    private DriftDetector() {}

    static final long DAY_MS = 86_400_000L;

    /**
     * A bucket this close to the baseline (in its σ) joins it. Until the baseline has seen a whole day,
     * anything within 2σ does, so the hours of a time of day it had not met (a night, after a morning of
     * learning) become part of normal; from then on only buckets within 1σ (k: no shift accumulates
     * from them), so a persistent drop — even a slow one, or a quiet version's noisy one — is never learnt.
     */
    static double absorbZ(Ref ref) {
        return ref.wholeDay() ? 1.0 : 2.0;
    }

    /**
     * @param bucketMs         the bucket (an hour)
     * @param baselineBuckets  buckets a version's own baseline is learnt from
     * @param probationBuckets buckets a new version is compared with its predecessor's baseline at least
     * @param maxBaselineBuckets clean buckets a baseline keeps learning from (a week of hours)
     * @param minAnswers       answers a bucket needs: consecutive buckets of a quiet version are merged until they have
     *                         them (8 answers an hour: 4-hour buckets), so a quiet service is watched on the same footing
     * @param k                CUSUM slack, in standard deviations
     * @param h                CUSUM threshold
     * @param lengthFloor      the smallest relative change of the mean length worth an alarm (as a floor of σ_b)
     * @param rateFloor        the same for the empty-or-refusal rate, absolute
     */
    public record Params(long bucketMs, int baselineBuckets, int probationBuckets, int maxBaselineBuckets, int minAnswers, double k, double h,
                         double lengthFloor, double rateFloor) {
        public static final Params DEFAULT = new Params(3_600_000L, 6, 24, 168, 20, 1.0, 4.0, 0.05, 0.02);

        public Params {
            if (bucketMs <= 0 || baselineBuckets < 2 || probationBuckets < baselineBuckets || maxBaselineBuckets < baselineBuckets || minAnswers < 2
                    || k < 0 || h <= 0) {
                throw new IllegalArgumentException("drift parameters out of range: bucket " + bucketMs + " ms, baseline " + baselineBuckets
                        + ", probation " + probationBuckets + " (>= baseline), min answers " + minAnswers + ", k " + k + ", h " + h);
            }
        }
    }

    /** LEARNING: the first version of a model learns its baseline; PROBATION: compared with its predecessor's; MONITORING: with its own. */
    public enum Phase { LEARNING, PROBATION, MONITORING }

    /**
     * Where one version stands after its last bucket.
     *
     * @param baselineOf     whose baseline it is compared with: itself, or the version it took over from (probation); null while learning
     * @param buckets        buckets with enough answers so far
     * @param lengthCusum    S of the length (0 while learning); an alarm when above {@link Params#h}
     * @param lengthAlarmSinceMs the start of the bucket that raised the current length alarm, or -1
     */
    public record State(String model, String version, Phase phase, String baselineOf, int buckets, long lastBucketMs, double baselineChars,
                        double currentChars, double lengthZ, double lengthCusum, boolean lengthAlarm, long lengthAlarmSinceMs, double baselineRate,
                        double currentRate, double rateCusum, boolean rateAlarm, long rateAlarmSinceMs) {}

    private record B(long start, int n, double mean, double ss, double rate) {}

    /** A baseline: whose, mean, spread of bucket means, pooled within-bucket sd, rate, and the time its buckets span. */
    private record Ref(String of, double mu, double sigmaB, double sigmaW, double p, long spanMs) {
        /** It has seen every hour of a day (a night, a morning): the time of day is in its spread. */
        boolean wholeDay() {
            return spanMs >= DAY_MS;
        }
    }

    private record Timeline(String version, long first, List<B> buckets, List<long[]> refFrom, List<Ref> refs) {
        /** The baseline this version was compared with at time t, or null. */
        Ref refAt(long t) {
            Ref r = null;
            for (int i = 0; i < refs.size(); i++) if (refFrom.get(i)[0] <= t) r = refs.get(i);
            return r;
        }

        long lastAtOrBefore(long t) {
            long last = Long.MIN_VALUE;
            for (B b : buckets) if (b.start <= t) last = b.start;
            return last;
        }
    }

    /** Every model version's state after the given buckets (any order; several models and versions). */
    public static List<State> evaluate(List<Bucket> buckets, Params p) {
        Map<String, Map<String, List<Bucket>>> raw = new LinkedHashMap<>();
        for (Bucket b : buckets) {
            if (b.answers() == 0) continue;
            raw.computeIfAbsent(b.model(), m -> new LinkedHashMap<>()).computeIfAbsent(b.version() == null ? "" : b.version(), v -> new ArrayList<>()).add(b);
        }
        Map<String, Map<String, List<B>>> byModel = new LinkedHashMap<>();
        for (var m : raw.entrySet()) {
            for (var v : m.getValue().entrySet()) {
                List<B> merged = merge(v.getValue(), p.minAnswers());
                if (!merged.isEmpty()) byModel.computeIfAbsent(m.getKey(), x -> new LinkedHashMap<>()).put(v.getKey(), merged);
            }
        }
        List<State> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<B>>> m : byModel.entrySet()) {
            List<Timeline> done = new ArrayList<>();
            List<Map.Entry<String, List<B>>> versions = new ArrayList<>(m.getValue().entrySet());
            for (var v : versions) v.getValue().sort(Comparator.comparingLong(B::start));
            versions.sort(Comparator.comparingLong(v -> v.getValue().getFirst().start()));
            for (var v : versions) {
                Timeline t = new Timeline(v.getKey(), v.getValue().getFirst().start(), v.getValue(), new ArrayList<>(), new ArrayList<>());
                out.add(run(m.getKey(), t, inherited(done, t.first()), p));
                done.add(t);
            }
        }
        return out;
    }

    /**
     * A version's buckets in time order, consecutive ones summed until each has at least {@code min}
     * answers (a quiet version's hours become longer buckets); a last one with fewer is left out until
     * it has them.
     */
    private static List<B> merge(List<Bucket> in, int min) {
        List<Bucket> sorted = new ArrayList<>(in);
        sorted.sort(Comparator.comparingLong(Bucket::startMs));
        List<B> out = new ArrayList<>();
        long start = 0;
        int n = 0, bad = 0;
        double sum = 0, sumSq = 0;
        for (Bucket b : sorted) {
            if (n == 0) start = b.startMs();
            n += b.answers();
            sum += b.sumChars();
            sumSq += b.sumSqChars();
            bad += b.emptyOrRefusal();
            if (n < min) continue;
            double mean = sum / n;
            out.add(new B(start, n, mean, Math.max(0, sumSq - n * mean * mean), (double) bad / n));
            n = 0;
            bad = 0;
            sum = 0;
            sumSq = 0;
        }
        return out;
    }

    /** The baseline in effect at {@code t} for the version that served last before {@code t} (started earlier, latest bucket at or before t). */
    private static Ref inherited(List<Timeline> earlier, long t) {
        List<Timeline> c = new ArrayList<>(earlier);
        c.sort(Comparator.comparingLong((Timeline x) -> x.lastAtOrBefore(t)).reversed());
        for (Timeline x : c) {
            Ref r = x.refAt(t);
            if (r != null) return r;
        }
        return null;
    }

    private static State run(String model, Timeline t, Ref inherited, Params p) {
        List<B> bs = t.buckets();
        Ref ref = inherited;
        Phase phase = inherited != null ? Phase.PROBATION : Phase.LEARNING;
        if (ref != null) {
            t.refFrom().add(new long[] {t.first()});
            t.refs().add(ref);
        }
        List<B> own = new ArrayList<>(); // the version's clean buckets: its own baseline
        double sLen = 0, sRate = 0, lastZ = 0;
        long lenSince = -1, rateSince = -1;
        for (int i = 0; i < bs.size(); i++) {
            B b = bs.get(i);
            if (phase == Phase.LEARNING) {
                own.add(b);
                if (own.size() == p.baselineBuckets()) {
                    ref = own(t.version(), own, p.bucketMs());
                    phase = Phase.MONITORING;
                    t.refFrom().add(new long[] {b.start() + 1});
                    t.refs().add(ref);
                }
                continue;
            }
            // until the baseline has seen a whole day, hour-to-hour variation it has not met yet (the time of day) is assumed to be twice the floor
            double floor = (ref.wholeDay() ? 1 : 2) * p.lengthFloor();
            double sigma = Math.sqrt(sq(Math.max(ref.sigmaB(), floor * ref.mu())) + sq(ref.sigmaW()) / b.n());
            double z = sigma > 0 ? (ref.mu() - b.mean()) / sigma : 0;
            boolean clean = z <= absorbZ(ref); // within normal variation: this bucket teaches the baseline (the time of day, the mix)
            lastZ = z;
            sLen = Math.max(0, sLen + z - p.k());
            double p0 = Math.min(0.99, Math.max(0.01, ref.p()));
            double zr = (b.rate() - ref.p()) / Math.sqrt(p0 * (1 - p0) / b.n() + sq(p.rateFloor()));
            clean &= zr <= absorbZ(ref);
            sRate = Math.max(0, sRate + zr - p.k());
            lenSince = sLen > p.h() ? (lenSince < 0 ? b.start() : lenSince) : -1;
            rateSince = sRate > p.h() ? (rateSince < 0 ? b.start() : rateSince) : -1;
            if (clean && own.size() < p.maxBaselineBuckets()) {
                own.add(b);
                if (phase == Phase.MONITORING) ref = own(t.version(), own, p.bucketMs()); // the baseline grows with clean buckets, up to a week
            }
            if (phase == Phase.PROBATION && i + 1 >= p.probationBuckets() && own.size() >= p.baselineBuckets()) {
                ref = own(t.version(), own, p.bucketMs()); // served its probation without a shift: from now on judged against itself
                phase = Phase.MONITORING;
                sLen = 0;
                sRate = 0;
                lenSince = -1;
                rateSince = -1;
                t.refFrom().add(new long[] {b.start() + 1});
                t.refs().add(ref);
            }
        }
        B last = bs.getLast();
        String version = t.version().isEmpty() ? null : t.version();
        return new State(model, version, phase, ref == null ? null : ref.of().isEmpty() ? null : ref.of(), bs.size(), last.start(),
                ref == null ? Double.NaN : ref.mu(), last.mean(), lastZ, sLen, sLen > p.h(), lenSince, ref == null ? Double.NaN : ref.p(),
                last.rate(), sRate, sRate > p.h(), rateSince);
    }

    /** The baseline of a version's first buckets: weighted mean, spread of the bucket means, pooled within-bucket sd, rate. */
    private static Ref own(String version, List<B> bs, long bucketMs) {
        double n = 0, sum = 0, ss = 0, bad = 0, meanOfMeans = 0;
        for (B b : bs) {
            n += b.n();
            sum += b.n() * b.mean();
            ss += b.ss();
            bad += b.rate() * b.n();
            meanOfMeans += b.mean();
        }
        meanOfMeans /= bs.size();
        double between = 0;
        for (B b : bs) between += sq(b.mean() - meanOfMeans);
        return new Ref(version, sum / n, Math.sqrt(between / (bs.size() - 1)), Math.sqrt(ss / Math.max(1, n - bs.size())), bad / n,
                bs.getLast().start() - bs.getFirst().start() + bucketMs);
    }

    private static double sq(double x) {
        return x * x;
    }
}
