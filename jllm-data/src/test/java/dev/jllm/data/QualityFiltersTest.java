package dev.jllm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Gopher, C4, language and word-list rules on hand-worked texts. */
class QualityFiltersTest {
    private static CleanConfig.Filters defaults() throws Exception {
        return CleanConfigLoader.load(null, null, Map.of()).filters();
    }

    @Test
    void gopherRepetitionLines() throws Exception {
        GopherRepetitionFilter g = defaults().gopherRepetition();
        // 4 lines, 2 of them repeats: dup_line_frac 2/4 = 0.5 > 0.3
        String text = "Buy cheap watches online today\nBuy cheap watches online today\nBest prices guaranteed here\nBuy cheap watches online today";
        assertEquals("dup_line_frac 0.500 > 0.30", g.reject(new Doc(text)));
    }

    @Test
    void gopherRepetitionTopNGramInChinese() throws Exception {
        GopherRepetitionFilter g = defaults().gopherRepetition();
        // "欢迎光临" four times in 16+... characters: the 2-gram 欢迎 appears 4 times: 4×2 chars / 26 chars = 0.31 > 0.2
        String text = "欢迎光临本店欢迎光临本店欢迎光临欢迎光临我们";
        String r = g.reject(new Doc(text));
        assertTrue(r != null && r.startsWith("top_2_gram"), r);
        assertNull(g.reject(new Doc("中国是世界上历史最悠久的国家之一，有着光辉灿烂的文化和光荣的革命传统。长江是中国第一大河，全长六千三百多公里，"
                + "流经十一个省区市，最后注入东海。每年春天，江南地区的油菜花开得金黄一片，吸引了许多游客前来观赏。")));
    }

    @Test
    void gopherQuality() throws Exception {
        GopherQualityFilter q = defaults().gopherQuality();
        assertEquals("short_doc 5 words < 50", q.reject(new Doc("This is far too short.")));
        String prose = "The history of the city goes back to the time when a small group of farmers settled with their families "
                + "near the river and began to trade grain and wool with the towns that lay to the south of the valley. ";
        assertNull(q.reject(new Doc(prose.repeat(2))));
        String noStop = "Cheap watches, rolex replica, omega deals, discount bags, designer shoes, outlet prices, free shipping worldwide! ".repeat(6);
        assertEquals("not_enough_stop_words 0 < 2", q.reject(new Doc(noStop)));
        // Chinese: 50 characters at least, and function characters
        assertEquals("short_doc 9 words < 50", q.reject(new Doc("学而时习之，不亦说乎？")), "9 characters, punctuation is not a word");
    }

    @Test
    void c4Lines() throws Exception {
        C4Filter c4 = defaults().c4();
        String text = "Home | About | Contact\n"
                + "This sentence ends properly.\n"
                + "Please enable JavaScript to view the comments.\n"
                + "我们今天去公园散步。\n"
                + "This site uses cookies to improve your experience.\n"
                + "Another full sentence here, with a citation.[1]\n"
                + "Short one.\n"
                + "The last line also ends well!\n"
                + "天气很好，大家都很开心！";
        C4Filter.Result r = c4.apply(text);
        assertNull(r.reject());
        assertEquals("This sentence ends properly.\n我们今天去公园散步。\nAnother full sentence here, with a citation.\nThe last line also ends well!\n天气很好，大家都很开心！", r.text());
        assertEquals(4, r.linesDropped()); // no punctuation, javascript, cookies, fewer than 3 words
        assertEquals("lorem_ipsum", c4.apply("Lorem ipsum dolor sit amet, consectetur.").reject());
        assertEquals("curly_bracket", c4.apply("function f() { return 1; } is code.").reject());
        assertEquals("too_few_sentences 1 < 5", c4.apply("Only one good sentence here.").reject());
    }

    @Test
    void language() {
        LanguageFilter zhEn = new LanguageFilter(true, List.of("zh", "en"), 0.5);
        assertEquals(new LanguageFilter.Guess("zh", 1.0), LanguageFilter.identify(new Doc("学而时习之，不亦说乎？")));
        assertEquals("en", LanguageFilter.identify(new Doc("The cat sat on the mat and looked at the dog.")).language());
        assertEquals("fr", LanguageFilter.identify(new Doc("Le chat est sur la table et il ne veut pas descendre de la chaise.")).language());
        assertEquals("de", LanguageFilter.identify(new Doc("Der Hund ist in dem Garten und die Katze sitzt auf dem Dach.")).language());
        assertEquals("ja", LanguageFilter.identify(new Doc("今日はとても良い天気ですね。")).language());
        assertEquals("ru", LanguageFilter.identify(new Doc("Привет, как дела?")).language());
        assertNull(zhEn.reject(new Doc("The cat sat on the mat and looked at the dog.")));
        assertEquals("fr not in [zh, en]", zhEn.reject(new Doc("Le chat est sur la table et il ne veut pas descendre de la chaise.")));
    }

    @Test
    void wordList(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("bad.txt");
        java.nio.file.Files.writeString(f, "# comment\nspam\n赌博\n");
        WordListFilter w = new WordListFilter(f, 0);
        assertEquals("1 hits in bad.txt > 0, first 'spam'", w.reject(new Doc("This is SPAM, really.")));
        assertEquals("1 hits in bad.txt > 0, first '赌博'", w.reject(new Doc("网上赌博网站")));
        assertNull(w.reject(new Doc("spammer is a different word")));
    }
}
