package dev.jllm.server.ops;

import static org.junit.jupiter.api.Assertions.*;

import dev.jllm.server.store.ConversationStore.Bucket;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The drift alarm on synthetic traffic: answers drawn one by one (log-normal lengths, a time-of-day
 * swing in traffic and length, a few empty answers), summed into hourly buckets as the store does.
 */
class DriftDetectorTest {
    static final long H = 3_600_000L;
    static final DriftDetector.Params P = DriftDetector.Params.DEFAULT;
    /** The detection window promised in docs/OPERATIONS.md: answers 30% shorter or more fire within this many hours. */
    static final int WINDOW = 3;

    /** Traffic of one version: per hour, a mean length and an empty-answer rate. */
    interface Shape {
        double meanChars(int hour);

        default double emptyRate(int hour) {
            return 0.02;
        }
    }

    /** Hours [from, to) of one version's answers as buckets; n per hour follows the day (30..150), lengths log-normal with CV 0.6. */
    static List<Bucket> traffic(String model, String version, int from, int to, Shape shape, long seed) {
        return traffic(model, version, from, to, shape, seed, h -> (int) Math.round(90 + 60 * Math.sin(2 * Math.PI * h / 24.0)));
    }

    static List<Bucket> traffic(String model, String version, int from, int to, Shape shape, long seed, java.util.function.IntUnaryOperator answersAt) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Bucket> out = new ArrayList<>();
        for (int h = from; h < to; h++) {
            double day = Math.sin(2 * Math.PI * h / 24.0);
            int n = answersAt.applyAsInt(h);
            double mean = shape.meanChars(h) * (1 + 0.08 * day); // longer answers at busy hours: the mix changes over the day
            double sigma = Math.sqrt(Math.log(1 + 0.36)), mu = Math.log(mean) - sigma * sigma / 2;
            double sum = 0, sumSq = 0;
            int bad = 0, answers = 0;
            for (int i = 0; i < n; i++) {
                boolean empty = r.nextDouble() < shape.emptyRate(h);
                double len = empty ? 0 : Math.round(Math.exp(mu + sigma * r.nextGaussian()));
                answers++;
                sum += len;
                sumSq += len * len;
                if (empty) bad++;
            }
            out.add(new Bucket(model, version, h * H, answers, sum / 4, sumSq / 16, sum, sumSq, bad, 0, answers));
        }
        return out;
    }

    static DriftDetector.State state(List<DriftDetector.State> all, String version) {
        return all.stream().filter(s -> version.equals(s.version())).findFirst().orElseThrow();
    }

    /** The first hour (from {@code from}) after which the version's length alarm is on, evaluating the log as it grows; -1 if never. */
    static int firstAlarmHour(List<Bucket> all, String version, int from, int to) {
        for (int h = from; h < to; h++) {
            long until = (h + 1) * H;
            List<Bucket> seen = all.stream().filter(b -> b.startMs() < until).toList();
            if (DriftDetector.evaluate(seen, P).stream().anyMatch(s -> version.equals(s.version()) && s.lengthAlarm())) return h;
        }
        return -1;
    }

    @Test
    void answers40PercentShorterFromHourXFireInThatHourAndPointAtIt() {
        for (long seed = 1; seed <= 20; seed++) {
            int x = 20;
            List<Bucket> log = traffic("chat", "v1", 0, 36, h -> h < x ? 400 : 240, seed);
            assertEquals(-1, firstAlarmHour(log, "v1", 0, x), "seed " + seed + ": no alarm before hour X");
            int fired = firstAlarmHour(log, "v1", x, 36);
            assertTrue(fired >= x && fired <= x + WINDOW - 1, "seed " + seed + ": fires within " + WINDOW + " hours of shorter answers, fired at " + fired);
            DriftDetector.State s = state(DriftDetector.evaluate(log.subList(0, fired + 1), P), "v1");
            assertEquals(fired * H, s.lengthAlarmSinceMs());
            assertEquals(DriftDetector.Phase.MONITORING, s.phase());
            assertEquals("v1", s.baselineOf());
            assertEquals(400, s.baselineChars(), 40);
            assertEquals(0.6, s.currentChars() / s.baselineChars(), 0.2, "the latest hour's mean against the baseline's");
        }
    }

    @Test
    void a24HourDayOfStableTrafficRaisesNoAlarm() {
        int falseAlarms = 0;
        for (long seed = 1; seed <= 200; seed++) {
            List<Bucket> log = traffic("chat", "v1", 0, 30, h -> 400, seed); // 6 hours of baseline, then a day watched
            if (firstAlarmHour(log, "v1", 0, 30) >= 0) falseAlarms++;
            DriftDetector.State s = state(DriftDetector.evaluate(log, P), "v1");
            assertFalse(s.rateAlarm(), "seed " + seed);
        }
        assertEquals(0, falseAlarms, "days of stable traffic (out of 200) with a false length alarm");
    }

    @Test
    void aNewVersionWithShorterAnswersIsTheOneThatAlarms() {
        List<Bucket> log = new ArrayList<>(traffic("chat", "v1", 0, 10, h -> 400, 7));
        log.addAll(traffic("chat", "v2", 10, 16, h -> 280, 8)); // promoted at hour 10, answers 30% shorter
        int fired = firstAlarmHour(log, "v2", 10, 16);
        assertTrue(fired >= 10 && fired < 10 + WINDOW, "fires within v2's first " + WINDOW + " hours, against v1's baseline: " + fired);
        List<DriftDetector.State> st = DriftDetector.evaluate(log, P);
        DriftDetector.State v2 = state(st, "v2");
        assertTrue(v2.lengthAlarm());
        assertEquals(DriftDetector.Phase.PROBATION, v2.phase());
        assertEquals("v1", v2.baselineOf(), "compared with the version it replaced");
        assertFalse(state(st, "v1").lengthAlarm(), "the old version is not blamed");

        // the same promotion with answers as long as before: no alarm, and after its probation v2 is watched against itself
        List<Bucket> fine = new ArrayList<>(traffic("chat", "v1", 0, 10, h -> 400, 7));
        fine.addAll(traffic("chat", "v2", 10, 40, h -> 410, 9));
        DriftDetector.State ok = state(DriftDetector.evaluate(fine, P), "v2");
        assertEquals(-1, firstAlarmHour(fine, "v2", 10, 40));
        assertEquals(DriftDetector.Phase.MONITORING, ok.phase());
        assertEquals("v2", ok.baselineOf());
    }

    @Test
    void aRollbackGoesBackToTheOldVersionsOwnBaselineAndACanaryIsJudgedAlone() {
        List<Bucket> log = new ArrayList<>(traffic("chat", "v1", 0, 10, h -> 400, 3));
        log.addAll(traffic("chat", "v2", 10, 12, h -> 240, 4)); // v2 shorter: alarms; rolled back at hour 12
        log.addAll(traffic("chat", "v1", 12, 20, h -> 400, 5));
        List<DriftDetector.State> st = DriftDetector.evaluate(log, P);
        assertTrue(state(st, "v2").lengthAlarm());
        assertFalse(state(st, "v1").lengthAlarm());
        // a canary: v1 keeps serving most traffic while v3 gets some, with shorter answers
        List<Bucket> canary = new ArrayList<>(traffic("chat", "v1", 0, 20, h -> 400, 11));
        canary.addAll(traffic("chat", "v3", 12, 20, h -> 300, 12));
        List<DriftDetector.State> c = DriftDetector.evaluate(canary, P);
        assertTrue(state(c, "v3").lengthAlarm());
        assertEquals("v1", state(c, "v3").baselineOf());
        assertFalse(state(c, "v1").lengthAlarm());
    }

    @Test
    void aSlowDeclineIsCaughtBeforeItIsLargeAndQuietHoursAreMerged() {
        // 2% shorter every hour from hour 8: caught by the time answers are ~20% shorter
        List<Bucket> log = traffic("chat", "v1", 0, 40, h -> h < 8 ? 400 : 400 * Math.pow(0.98, h - 8), 21);
        int fired = firstAlarmHour(log, "v1", 0, 40);
        assertTrue(fired > 8 && fired <= 8 + 12, "a 2%/hour decline fired at hour " + fired);
        // hours with too few answers are merged with the next ones (a quiet version gets longer buckets), never judged alone
        List<Bucket> thin = traffic("chat", "v1", 0, 2, h -> 400, 22, h -> 8);
        assertTrue(DriftDetector.evaluate(thin, P).isEmpty(), "under " + P.minAnswers() + " answers in all: nothing to judge yet");
        List<Bucket> more = traffic("chat", "v1", 0, 8, h -> 400, 22, h -> 8);
        assertEquals(2, state(DriftDetector.evaluate(more, P), "v1").buckets(), "8 hours of 8 answers: two buckets of three hours (24 answers each), two hours waiting");
    }

    @Test
    void aQuietServiceIsWatchedTooMoreSlowlyAndWithoutFalseAlarms() {
        int slowest = 0;
        for (long seed = 1; seed <= 20; seed++) { // 8 answers an hour
            List<Bucket> quiet = traffic("chat", "v1", 0, 60, h -> h < 30 ? 400 : 240, 100 + seed, h -> 8);
            assertEquals(-1, firstAlarmHour(quiet, "v1", 0, 30), "seed " + seed);
            int fired = firstAlarmHour(quiet, "v1", 30, 60);
            assertTrue(fired >= 30 && fired < 30 + 24, "seed " + seed + ": 8 answers an hour, 40% shorter from hour 30, fired at " + fired);
            slowest = Math.max(slowest, fired - 30 + 1);
        }
        assertTrue(slowest > 1, "with so few answers one hour is not enough evidence");
    }

    @Test
    void moreEmptyOrRefusingAnswersRaiseTheRateAlarm() {
        List<Bucket> log = traffic("chat", "v1", 0, 24, new Shape() {
            @Override
            public double meanChars(int hour) {
                return 400;
            }

            @Override
            public double emptyRate(int hour) {
                return hour < 15 ? 0.02 : 0.15;
            }
        }, 31);
        DriftDetector.State s = state(DriftDetector.evaluate(log, P), "v1");
        assertTrue(s.rateAlarm(), "rate " + s.currentRate() + " vs " + s.baselineRate() + ", S " + s.rateCusum());
        assertTrue(s.rateAlarmSinceMs() <= 16 * H, "within two hours of the change: " + s.rateAlarmSinceMs() / H);
        assertFalse(state(DriftDetector.evaluate(traffic("chat", "v1", 0, 30, h -> 400, 32), P), "v1").rateAlarm());
    }
}
