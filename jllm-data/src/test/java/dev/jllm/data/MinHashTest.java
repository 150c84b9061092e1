package dev.jllm.data;

import dev.jllm.testkit.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MinHashTest {
    private final MinHash mh = new MinHash(5, 14, 8, 1);

    @Test
    void datatroveCandidateCurve() {
        // 1 - (1 - s^8)^14, worked by hand
        assertEquals(0.0533, mh.candidateProbability(0.5), 5e-4);
        assertEquals(0.5642, mh.candidateProbability(0.7), 5e-4);
        assertEquals(0.9236, mh.candidateProbability(0.8), 5e-4);
        assertEquals(0.9996, mh.candidateProbability(0.9), 5e-4);
    }

    /** Pairs of shingle sets with exact Jaccard similarity J become candidates at 1 - (1 - J^8)^14 (within 4 sigma over 400 pairs). */
    @Test
    void knownJaccardFoundAtExpectedRate() {
        SplittableRandom r = new SplittableRandom(7);
        int pairs = 400;
        for (int[] id : new int[][] {{100, 50}, {140, 30}, {160, 20}, {180, 10}, {60, 70}}) {
            int shared = id[0], own = id[1];
            double j = shared / (double) (shared + 2 * own);
            int hits = 0;
            for (int t = 0; t < pairs; t++) {
                long[] a = new long[shared + own], b = new long[shared + own];
                for (int i = 0; i < shared; i++) a[i] = b[i] = r.nextLong();
                for (int i = shared; i < shared + own; i++) {
                    a[i] = r.nextLong();
                    b[i] = r.nextLong();
                }
                if (shareBand(mh.signature(a), mh.signature(b))) hits++;
            }
            double p = mh.candidateProbability(j);
            double sigma = Math.sqrt(p * (1 - p) / pairs);
            double rate = hits / (double) pairs;
            assertTrue(Math.abs(rate - p) <= 4 * sigma + 0.005, "J=" + j + ": rate " + rate + " vs " + p);
        }
    }

    private static boolean shareBand(long[] a, long[] b) {
        for (int band = 0; band < 14; band++) {
            boolean same = true;
            for (int row = 0; row < 8; row++) same &= a[band * 8 + row] == b[band * 8 + row];
            if (same) return true;
        }
        return false;
    }

    private static boolean shareKey(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) return true;
        return false;
    }

    @Test
    void shinglesAreCharactersForChineseWordsOtherwise() {
        assertEquals(4, mh.shingles("天地玄黄，宇宙洪荒。").length, "8 characters, punctuation dropped: 4 five-grams");
        assertEquals(2, mh.shingles("the quick brown fox jumps over").length, "6 words: 2 five-grams");
        assertEquals(1, mh.shingles("too short").length, "fewer than 5 words: one shingle");
        assertEquals(0, mh.bandKeys("... !!!").length);
    }

    @Test
    void realNearDuplicates() throws Exception {
        ObjectMapper m = new ObjectMapper();
        List<String> lines = Files.readAllLines(TestData.path("corpora/clean/c4_demo.jsonl"));
        String a = m.readTree(lines.get(0)).get("text").asText();
        String b = m.readTree(lines.get(1)).get("text").asText();
        // the same page with one sentence edited and a footer added: Jaccard of 5-grams well above 0.9
        String a2 = a.replaceFirst("No problem", "No worries at all") + " Call us today.";
        assertTrue(shareKey(mh.bandKeys(a), mh.bandKeys(a2)));
        assertFalse(shareKey(mh.bandKeys(a), mh.bandKeys(b)));
        // case and punctuation do not matter
        assertTrue(shareKey(mh.bandKeys(a), mh.bandKeys(a.toUpperCase().replace(",", ""))));
    }
}
