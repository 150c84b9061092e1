package dev.jllm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CleanConfigLoaderTest {
    @TempDir Path dir;

    @Test
    void seedPreset() throws Exception {
        CleanConfig c = CleanConfigLoader.load("seed", null, Map.of());
        assertEquals(new LengthFilter(true, 100, 800), c.filters().length());
        assertEquals(new SimplifiedRatioFilter(true, 0.95), c.filters().simplified());
        assertEquals(new EmojiFilter(true, 0, false), c.filters().emoji());
        assertTrue(c.dedup().exact());
        assertFalse(c.dedup().minhash().enabled());
        assertFalse(c.filters().c4().enabled());
        assertEquals(List.of("normalize:ansi", "normalize:control", "normalize:fullwidth", "normalize:whitespace", "length", "emoji",
                "simplified", "dedup:exact"), new CleanPipeline(c).stepNames());
    }

    @Test
    void fileOverridesPresetAndFlagsOverrideFile() throws Exception {
        Path f = dir.resolve("clean.yaml");
        Files.writeString(f, "preset: zh-web\nfilters:\n  length:\n    min: 20\ninput:\n  text_field: content\n");
        CleanConfig c = CleanConfigLoader.load(null, f, Map.of("input.text_field", "body"));
        assertEquals(20, c.filters().length().min());
        assertEquals(100000, c.filters().length().max(), "from the zh-web preset");
        assertTrue(c.dedup().minhash().enabled());
        assertEquals("body", c.input().textField());
        assertEquals(14, c.dedup().minhash().bands());
    }

    @Test
    void unknownKeyNamesFileLineAndKey() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "filters:\n  length:\n    enabled: true\n    mn: 5\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CleanConfigLoader.load(null, f, Map.of()));
        assertEquals(f + ": line 4: unknown key 'filters.length.mn' (known here: enabled, min, max)", e.getMessage());
    }

    @Test
    void invalidValueNamesField() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "filters:\n  length: {enabled: true, min: 900, max: 800}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CleanConfigLoader.load("seed", f, Map.of()));
        assertTrue(e.getMessage().startsWith(f + ": filters.length.max (800) must be >= min (900)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CleanConfigLoader.load("nope", null, Map.of()));
    }
}
