package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shard files, the index, packing with EOS, the loss mask, mixing by weight, val windows. */
class TokenShardsTest {
    @Test
    void documentsArePackedWithEosAndReadBackByMapping(@TempDir Path dir) throws Exception {
        try (TokenShards.Writer w = new TokenShards.Writer(dir, "general", 100, 2)) {
            w.add(new int[] {10, 11, 12});
            w.add(new int[] {20});
            w.add(new int[] {30, 31});
            w.finish(0.34);
        }
        try (TokenShards s = TokenShards.open(dir)) {
            assertEquals(2, s.shards.size());
            assertEquals(new TokenShards.Shard("general", "train", "general-train-000.bin", 6, 2, null), s.shards.get(0));
            assertEquals(new TokenShards.Shard("general", "val", "general-val-000.bin", 3, 1, null), s.shards.get(1));
            int[] got = new int[6];
            for (int i = 0; i < 6; i++) got[i] = s.token(0, i);
            assertArrayEquals(new int[] {10, 11, 12, 2, 20, 2}, got);
            assertEquals(12, Files.size(dir.resolve("general-train-000.bin")), "uint16 for a vocabulary of 100");
        }
    }

    @Test
    void largeVocabulariesUseUint32(@TempDir Path dir) throws Exception {
        try (TokenShards.Writer w = new TokenShards.Writer(dir, "general", 151_936, 151_643)) {
            w.add(new int[] {151_000, 7});
            w.finish(0);
        }
        try (TokenShards s = TokenShards.open(dir)) {
            assertTrue(s.wide);
            assertEquals(151_000, s.token(0, 0));
            assertEquals(151_643, s.token(0, 2));
        }
    }

    @Test
    void maskedTokensBecomeIgnoredTargets(@TempDir Path dir) throws Exception {
        try (TokenShards.Writer w = new TokenShards.Writer(dir, "sft", 50, 2)) {
            for (int d = 0; d < 10; d++) w.add(new int[] {40, 41, 42, 5, 6}, new boolean[] {false, false, false, true, true});
            w.finish(0);
        }
        try (TokenShards s = TokenShards.open(dir)) {
            DataLoader data = new DataLoader(s, "", 4);
            int[] x = new int[4 * 8], y = new int[4 * 8];
            data.trainBatch(1, 0, 0, 8, 4, x, y);
            int ignored = 0;
            for (int i = 0; i < y.length; i++) {
                boolean prompt = y[i] == Layers.IGNORE;
                if (prompt) ignored++;
                // the token after a prompt token 40/41 or after EOS is a prompt token: ignored
                if (x[i] == 40 || x[i] == 41 || x[i] == 2) assertTrue(prompt, "target after " + x[i] + " is context");
                if (x[i] == 42 || x[i] == 5 || x[i] == 6) assertTrue(!prompt, "target after " + x[i] + " is learned");
            }
            assertTrue(ignored > 0);
        }
    }

    @Test
    void sourcesAreMixedByWeightAndUnknownSourcesFail(@TempDir Path dir) throws Exception {
        for (String src : new String[] {"code", "math"}) {
            try (TokenShards.Writer w = new TokenShards.Writer(dir, src, 100, 2)) {
                int[] doc = new int[500];
                java.util.Arrays.fill(doc, src.equals("code") ? 10 : 20);
                w.add(doc);
                w.finish(0);
            }
        }
        try (TokenShards s = TokenShards.open(dir)) {
            DataLoader data = new DataLoader(s, "code=8,math=2", 16);
            int code = 0, n = 0;
            int[] x = new int[16 * 10], y = new int[16 * 10];
            for (int step = 0; step < 100; step++) {
                data.trainBatch(5, step, 0, 10, 16, x, y);
                for (int b = 0; b < 10; b++, n++) if (x[b * 16] == 10 || x[b * 16 + 1] == 10) code++;
            }
            assertEquals(0.8, code / (double) n, 0.05, "share of code sequences");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DataLoader(s, "poetry=1", 16));
            assertTrue(e.getMessage().contains("poetry"));
        }
    }
}
