package dev.jllm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.fellbaum.jemoji.Emoji;
import net.fellbaum.jemoji.EmojiManager;
import net.fellbaum.jemoji.Qualification;
import org.junit.jupiter.api.Test;

class EmojiDetectorTest {
    private final EmojiDetector strict = new EmojiDetector(false);
    private final EmojiDetector textStyle = new EmojiDetector(true);

    @Test
    void sequencesCountOnce() {
        assertEquals(1, strict.count("👨‍👩‍👧‍👦"), "ZWJ family");
        assertEquals(1, strict.count("🏳️‍🌈"), "rainbow flag: VS16 + ZWJ");
        assertEquals(1, strict.count("🇨🇳"), "flag = two regional indicators");
        assertEquals(2, strict.count("🇨🇳🇺🇸"), "two flags");
        assertEquals(1, strict.count("1️⃣"), "keycap with VS16");
        assertEquals(1, strict.count("#⃣"), "keycap without VS16");
        assertEquals(1, strict.count("👍🏽"), "skin tone modifier");
        assertEquals(1, strict.count("🏴󠁧󠁢󠁳󠁣󠁴󠁿"), "tag sequence (Scotland)");
        assertEquals(1, strict.count("☺️"), "text-default + VS16");
        assertEquals(1, strict.count("🀄"), "mahjong tile has emoji presentation");
        assertEquals(3, strict.count("今天😀很开心🎉，❤️"), "three in Chinese text");
    }

    @Test
    void textWithoutEmojiPasses() {
        for (String s : List.of("，。！？「」『』（）【】《》、；：……——", "㊗ 〽 〰 © ® ™ ☺ ❤ ✂ ← ↑", "1234567890 #tag *star*",
                "天地玄黄，宇宙洪荒。", "Café ﬁ Ω ≈ ∑ ∞ ♪", "☺︎")) {
            assertEquals(-1, strict.find(s, 0), s);
        }
        assertEquals(0, strict.count("☺︎"), "VS15 asks for text style");
    }

    @Test
    void textStyleCountsBarePictographs() {
        assertEquals(3, textStyle.count("☺ ❤ ✂"));
        assertEquals(0, textStyle.count("，。！？ abc 123"));
        assertEquals(0, textStyle.count("☺︎"), "VS15 asks for text style");
    }

    @Test
    void sequenceReportsCodePoints() {
        String s = "ok 👩‍💻 done";
        int i = strict.find(s, 0);
        assertEquals(3, i);
        assertEquals("👩‍💻", strict.sequenceAt(s, i));
        assertEquals("(U+1F469 U+200D U+1F4BB)", EmojiFilter.codePoints("👩‍💻"));
    }

    /** Every fully-qualified emoji in jemoji's list (Unicode's emoji-test.txt) is found, as exactly one emoji, in text too. */
    @Test
    void everyFullyQualifiedEmojiOfJemoji() {
        List<String> missed = new ArrayList<>();
        int n = 0;
        for (Emoji e : EmojiManager.getAllEmojis()) {
            if (e.getQualification() != Qualification.FULLY_QUALIFIED) continue;
            n++;
            String s = e.getEmoji();
            if (strict.count(s) != 1 || strict.count("中文" + s + "文字") != 1 || TextStats.of("文" + s).emoji() != 1) missed.add(s + " " + EmojiFilter.codePoints(s));
        }
        assertTrue(n > 3000, "jemoji list too small: " + n);
        assertEquals(List.of(), missed);
    }

    @Test
    void textStatsCountsCodePointsOfSequences() {
        TextStats s = TextStats.of("a👨‍👩‍👧b");
        assertEquals(1, s.emoji());
        assertEquals(1, s.firstEmoji());
        assertEquals("a👨‍👩‍👧b".codePointCount(0, "a👨‍👩‍👧b".length()), s.codePoints());
    }
}
