package dev.jllm.tokenizer;

import dev.jllm.testkit.TestData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * BPE training speed and memory (not a test; run by hand, see docs/PERFORMANCE.md):
 * {@code java -cp <test classpath> dev.jllm.tokenizer.TrainBench [copies]}. Trains vocab 32,000 on
 * tinyshakespeare + poet.tang.0.json + ci.song.0.json (1.9 MB), repeated {@code copies} times
 * (default 1) as separate files, with the CJK and GPT-2 pre-tokenizers on 2 threads.
 */
public final class TrainBench {
    private TrainBench() {}

    public static void main(String[] args) throws IOException {
        int copies = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        List<Path> base = List.of(TestData.path("tokenizers/corpora/tinyshakespeare.txt"),
                TestData.path("tokenizers/corpora/poet.tang.0.json"), TestData.path("tokenizers/corpora/ci.song.0.json"));
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < copies; i++) files.addAll(base);
        for (TrainingPreTokenizer p : List.of(TrainingPreTokenizer.CJK, TrainingPreTokenizer.GPT2, TrainingPreTokenizer.CJK)) {
            System.gc();
            // peak used heap, sampled every 5 ms (java.management is not readable from this module's tests)
            AtomicLong peakUsed = new AtomicLong();
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                Runtime rt = Runtime.getRuntime();
                while (!Thread.currentThread().isInterrupted()) {
                    peakUsed.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            long t0 = System.nanoTime();
            TrainedBpe t = BpeTrainer.trainFiles(files, new BpeTrainer.Options(32_000, List.of("<|endoftext|>"), p, 2), null);
            double secs = (System.nanoTime() - t0) / 1e9;
            sampler.interrupt();
            long peak = peakUsed.get();
            TrainedBpe.Stats st = t.stats();
            System.out.printf(Locale.ROOT, "%-5s %6.1f MB corpus, %,7d words, %,6d merges: %6.2f s total (%5.2f s counting, %5.2f s merging) "
                            + "= %5.2f MB/s, %,8.0f merges/s, peak heap %5.0f MB%n",
                    p.cliName(), st.corpusBytes() / 1e6, st.uniqueWords(), t.mergeCount(), secs, secs - st.mergeNanos() / 1e9,
                    st.mergeNanos() / 1e9, st.corpusBytes() / 1e6 / secs, t.mergeCount() / (st.mergeNanos() / 1e9), peak / 1e6);
        }
    }
}
