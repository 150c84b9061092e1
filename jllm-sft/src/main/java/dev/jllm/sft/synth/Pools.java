package dev.jllm.sft.synth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The material facts are built from, partitioned by {@link Split} so that a held-out value shares no
 * piece with training:
 * <ul>
 *   <li>names: syllables (Latin, Cyrillic, Greek: consonant + vowel; Arabic: consonant + long vowel),
 *       katakana, Hangul blocks, Chinese surname and given-name characters; every inventory is split
 *       entry by entry (every 4th entry held out). CV syllables glued together cannot form another CV
 *       syllable across a boundary (a vowel is never a consonant), so "no held-out syllable in training
 *       text" is a plain substring check. Chinese characters used anywhere in the Chinese phrasings or
 *       word lists are removed from the name inventories first;</li>
 *   <li>numbers: training has 2- and 5-digit numbers (house numbers 1–99), held-out 3- and 4-digit
 *       ones (house numbers 100–999), so no held-out number is a number token in training text;</li>
 *   <li>codes: training uses letters A–M (no I) and digits 0–4, lengths 6 and 8; held-out letters N–Z
 *       (no O) and digits 5–9, length 7; every code mixes letters and digits;</li>
 *   <li>dates: (month, day) pairs, day 1–28, held out when (31·month + day) mod 4 = 0;</li>
 *   <li>places and streets: names from the split's syllables / characters plus shared suffix words;</li>
 *   <li>preferences and plans: word lists split entry by entry (every 4th held out).</li>
 * </ul>
 */
final class Pools {
    private Pools() {}

    /** The scripts names are written in. */
    enum Script { LATIN, CYRILLIC, GREEK, ARABIC, KATAKANA, HANGUL, HAN }

    static boolean heldOut(int i) {
        return i % 4 == 0;
    }

    static <T> List<T> side(List<T> all, Split split) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) if (heldOut(i) == (split == Split.HELDOUT)) out.add(all.get(i));
        return out;
    }

    private static List<String> cv(String consonants, String vowels) {
        List<String> out = new ArrayList<>();
        consonants.codePoints().forEach(c -> vowels.codePoints().forEach(v -> out.add(Character.toString(c) + Character.toString(v))));
        return out;
    }

    private static List<String> chars(String s) {
        List<String> out = new ArrayList<>();
        s.codePoints().forEach(c -> out.add(Character.toString(c)));
        return out;
    }

    private static Set<Integer> reserved() {
        Set<Integer> r = new java.util.TreeSet<>(Phrasings.chineseTextChars());
        for (List<String> l : PREFERENCES_ZH.values()) for (String s : l) s.codePoints().forEach(r::add);
        for (String s : PLANS_ZH) s.codePoints().forEach(r::add);
        for (List<String> l : Attributes.ZH.values()) for (String s : l) s.codePoints().forEach(r::add);
        "市镇县路街号月日".codePoints().forEach(r::add);
        return r;
    }

    /** Characters of {@code s} in order, without repeats, without {@code minus} and reserved ones. */
    private static List<String> hanPool(String s, String minus) {
        Set<String> out = new LinkedHashSet<>();
        s.codePoints().filter(c -> !ZH_RESERVED.contains(c) && minus.indexOf(c) < 0).forEach(c -> out.add(Character.toString(c)));
        return List.copyOf(out);
    }

    static final List<String> PLANS_EN = List.of("repaint the kitchen", "learn to bake sourdough bread", "visit my grandmother", "fix my bicycle",
            "plant tomatoes in the garden", "clean out the garage", "try a pottery class", "go camping by the lake", "build a bookshelf",
            "practice the violin", "run a half marathon", "sort my old photos", "bake a lemon cake", "go birdwatching", "write a short story",
            "paint a portrait of my cat", "learn to juggle", "finish a jigsaw puzzle", "wash the car", "visit the science museum", "knit a scarf",
            "make pasta from scratch", "go kayaking", "reorganize my bookshelves");
    static final List<String> PLANS_ZH = List.of("重新粉刷厨房", "学做酸面包", "去看望奶奶", "修自行车", "在花园里种番茄", "收拾车库", "上陶艺课",
            "去湖边露营", "做一个书架", "练习小提琴", "跑半程马拉松", "整理旧照片", "烤一个柠檬蛋糕", "去观鸟", "写一篇短篇小说", "给我的猫画一幅肖像",
            "学杂耍", "拼一幅拼图", "洗车", "去科技馆", "织一条围巾", "自己擀面条", "去划皮划艇", "重新整理书柜");

    /** Category (as said in the sentence) → values; English animals carry their article. */
    static final Map<String, List<String>> PREFERENCES_EN = ordered(
            "food", List.of("dumplings", "lasagna", "ramen", "paella", "tacos", "risotto", "falafel", "curry", "sushi", "goulash", "pancakes",
                    "burritos", "pho", "pierogi", "moussaka", "biryani"),
            "drink", List.of("green tea", "lemonade", "espresso", "cocoa", "mango juice", "kombucha", "iced coffee", "chai", "mint tea",
                    "orange juice", "sparkling water", "hot chocolate"),
            "animal", List.of("the otter", "the fox", "the owl", "the dolphin", "the penguin", "the red panda", "the hedgehog", "the wolf",
                    "the tortoise", "the giraffe", "the koala", "the raven"),
            "color", List.of("teal", "crimson", "lavender", "amber", "navy blue", "olive green", "coral", "indigo", "turquoise", "maroon",
                    "ochre", "silver"),
            "sport", List.of("badminton", "rowing", "fencing", "volleyball", "table tennis", "cricket", "archery", "rock climbing", "handball",
                    "squash", "curling", "judo"));
    static final Map<String, List<String>> PREFERENCES_ZH = ordered(
            "食物", List.of("饺子", "火锅", "烤鸭", "小笼包", "麻婆豆腐", "炸酱面", "红烧肉", "宫保鸡丁", "煎饼果子", "肠粉", "螺蛳粉", "凉皮",
                    "回锅肉", "酸菜鱼", "糖醋排骨", "担担面"),
            "饮料", List.of("绿茶", "奶茶", "豆浆", "酸梅汤", "菊花茶", "咖啡", "椰汁", "柠檬水", "乌龙茶", "热可可", "橙汁", "普洱茶"),
            "动物", List.of("熊猫", "海豚", "狐狸", "猫头鹰", "企鹅", "水獭", "刺猬", "狼", "乌龟", "长颈鹿", "考拉", "松鼠"),
            "颜色", List.of("天蓝色", "墨绿色", "橙色", "紫色", "米白色", "深红色", "浅粉色", "金黄色", "藏青色", "银灰色", "湖蓝色", "咖啡色"),
            "运动", List.of("羽毛球", "乒乓球", "游泳", "跑步", "篮球", "足球", "排球", "太极拳", "攀岩", "滑雪", "射箭", "击剑"));

    private static Map<String, List<String>> ordered(Object... kv) {
        Map<String, List<String>> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> v = (List<String>) kv[i + 1];
            m.put((String) kv[i], v);
        }
        return Collections.unmodifiableMap(m);
    }

    static final List<String> PLACE_SUFFIXES_EN = List.of("Falls", "Harbor", "Springs", "Bay", "Hills", "Creek");
    static final List<String> STREET_TYPES_EN = List.of("Street", "Lane", "Road", "Avenue", "Way", "Court", "Drive", "Place");
    static final List<String> MONTHS_EN = List.of("January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December");

    private static final String HAN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
            + "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
            + "阮柯凌霍虞柴裴骆甘卓晏翟殷葛聂邢闵岳詹祁芮滕庞蒲邬左楚廉耿鲍牛姬";
    private static final String HAN_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建波宁琳雪梅云飞鑫浩宇轩睿泽晨博文俊豪瑞凯铭哲晗钰婷琪萱"
            + "怡欣悦涵韵诗雅璐瑶嘉颖佳蕾薇倩彤昕翔骏毅峰岚瀚煜曦淼焱琛璟珂瑾瑜琦玥菲蓉蔚霖昊哲奕柏楠榕桐枫松竹兰芷蘅荷莲菁芸苒茜蓓";

    /** Every inventory, whole (both splits), in a fixed order. */
    static final Map<Script, List<String>> INVENTORIES = inventories();
    static final List<String> HAN_SURNAME_POOL;
    static final List<String> HAN_GIVEN_POOL;

    private static final Set<Integer> ZH_RESERVED;

    static {
        ZH_RESERVED = reserved();
        HAN_SURNAME_POOL = hanPool(HAN_SURNAMES, "");
        HAN_GIVEN_POOL = hanPool(HAN_GIVEN, HAN_SURNAMES);
    }

    private static Map<Script, List<String>> inventories() {
        Map<Script, List<String>> m = new EnumMap<>(Script.class);
        m.put(Script.LATIN, cv("bdfghklmnprstvz", "aeiou"));
        m.put(Script.CYRILLIC, cv("бвгдзклмнпрстфх", "аеиоуя"));
        m.put(Script.GREEK, cv("βγδθκλμνξπρστφχ", "αειουηω"));
        m.put(Script.ARABIC, cv("بتجحدرزسشصطعفقكلمنه", "اوي"));
        m.put(Script.KATAKANA, chars("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワガギグゲゴザジズゼゾダデドバビブベボパピプペポ"));
        List<String> hangul = new ArrayList<>();
        // plain initials (no doubled ones), the common vowels, no tail or ㄴ ㄹ ㅁ ㅇ: blocks that read like names
        int[] initials = {0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18}, vowels = {0, 1, 2, 4, 5, 6, 8, 12, 13, 17, 18, 20}, tails = {0, 4, 8, 16, 21};
        for (int l : initials) for (int v : vowels) for (int t : tails) hangul.add(Character.toString(0xAC00 + (l * 21 + v) * 28 + t));
        m.put(Script.HANGUL, hangul);
        return m;
    }

    /** The Han name characters (surnames and given-name characters) on one side. */
    static List<String> hanPieces(Split split) {
        List<String> out = new ArrayList<>(side(HAN_SURNAME_POOL, split));
        out.addAll(side(HAN_GIVEN_POOL, split));
        return out;
    }

    /** The pieces of one script on one side. */
    static List<String> pieces(Script s, Split split) {
        return s == Script.HAN ? hanPieces(split) : side(INVENTORIES.get(s), split);
    }

    static <T> T pick(Random r, List<T> l) {
        return l.get(r.nextInt(l.size()));
    }

    private static String glue(Random r, List<String> pieces, int min, int max) {
        int n = min + r.nextInt(max - min + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(pick(r, pieces));
        return sb.toString();
    }

    private static String capital(String s) {
        return s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }

    /** Syllable strings that must not come out as a name. */
    private static final List<String> BLOCKED = List.of("nazi", "rape", "sex", "dik", "kuk", "fuk", "puta", "pene", "kaka", "nigg");

    /** A name in {@code script}. */
    static String name(Random r, Split split, Script script) {
        while (true) {
            String s = split == Split.WILD ? Wild.name(r, script) : draw(r, split, script);
            String low = s.toLowerCase(Locale.ROOT);
            if (BLOCKED.stream().noneMatch(low::contains)) return s;
        }
    }

    private static String draw(Random r, Split split, Script script) {
        return switch (script) {
            case LATIN, CYRILLIC, GREEK -> capital(glue(r, pieces(script, split), 2, 3));
            case ARABIC -> glue(r, pieces(script, split), 2, 3);
            case KATAKANA -> glue(r, pieces(script, split), 2, 4);
            case HANGUL -> glue(r, pieces(script, split), 2, 3);
            case HAN -> pick(r, side(HAN_SURNAME_POOL, split)) + glue(r, side(HAN_GIVEN_POOL, split), 1, 2);
        };
    }

    /** English dialogues: Latin names 40%, each other script 10%; Chinese: Han 40%, Latin 20%, each other 8%. */
    static Script script(Random r, Lang lang) {
        double x = r.nextDouble();
        Script[] others = {Script.CYRILLIC, Script.GREEK, Script.ARABIC, Script.KATAKANA, Script.HANGUL};
        if (lang == Lang.EN) {
            if (x < 0.4) return Script.LATIN;
            if (x < 0.5) return Script.HAN;
            return others[Math.min(others.length - 1, (int) ((x - 0.5) / 0.1))];
        }
        if (x < 0.4) return Script.HAN;
        if (x < 0.6) return Script.LATIN;
        return others[Math.min(others.length - 1, (int) ((x - 0.6) / 0.08))];
    }

    static String number(Random r, Split split) {
        if (split == Split.WILD) return Wild.number(r);
        int digits = split == Split.TRAIN ? (r.nextBoolean() ? 2 : 5) : (r.nextBoolean() ? 3 : 4);
        int lo = (int) Math.pow(10, digits - 1);
        return Integer.toString(lo + r.nextInt(9 * lo));
    }

    static final String CODE_LETTERS_TRAIN = "ABCDEFGHJKLM", CODE_DIGITS_TRAIN = "01234";
    static final String CODE_LETTERS_HELDOUT = "NPQRSTUVWXYZ", CODE_DIGITS_HELDOUT = "56789";

    static String code(Random r, Split split) {
        if (split == Split.WILD) return Wild.code(r);
        boolean train = split == Split.TRAIN;
        String letters = train ? CODE_LETTERS_TRAIN : CODE_LETTERS_HELDOUT, digits = train ? CODE_DIGITS_TRAIN : CODE_DIGITS_HELDOUT;
        int len = train ? (r.nextBoolean() ? 6 : 8) : 7;
        while (true) {
            StringBuilder sb = new StringBuilder();
            boolean letter = false, digit = false;
            for (int i = 0; i < len; i++) {
                if (r.nextInt(3) == 0) {
                    sb.append(digits.charAt(r.nextInt(digits.length())));
                    digit = true;
                } else {
                    sb.append(letters.charAt(r.nextInt(letters.length())));
                    letter = true;
                }
            }
            if (letter && digit) return sb.toString();
        }
    }

    static String date(Random r, Split split, Lang lang) {
        while (true) {
            int month = 1 + r.nextInt(12), day = 1 + r.nextInt(28);
            if (split != Split.WILD && ((31 * month + day) % 4 == 0) != (split == Split.HELDOUT)) continue;
            return lang == Lang.EN ? MONTHS_EN.get(month - 1) + " " + day : month + "月" + day + "日";
        }
    }

    static String place(Random r, Split split, Lang lang) {
        if (lang == Lang.ZH) return (split == Split.WILD ? Wild.han(r, 2, 3) : glue(r, side(HAN_GIVEN_POOL, split), 2, 2)) + pick(r, List.of("市", "镇", "县"));
        String base = name(r, split, Script.LATIN);
        return r.nextBoolean() ? base : base + " " + pick(r, PLACE_SUFFIXES_EN);
    }

    static String address(Random r, Split split, Lang lang) {
        int house = split == Split.WILD ? 1 + r.nextInt(9999) : split == Split.TRAIN ? 1 + r.nextInt(99) : 100 + r.nextInt(900);
        if (lang == Lang.ZH) {
            String street = split == Split.WILD ? Wild.han(r, 2, 3) : glue(r, side(HAN_GIVEN_POOL, split), 2, 2);
            return street + pick(r, List.of("路", "街")) + house + "号";
        }
        return house + " " + name(r, split, Script.LATIN) + " " + pick(r, STREET_TYPES_EN);
    }

    /** A preference: [category, value]. */
    static String[] preference(Random r, Split split, Lang lang, Pieces pieces) {
        Map<String, List<String>> m = lang == Lang.EN ? PREFERENCES_EN : PREFERENCES_ZH;
        String cat = pick(r, List.copyOf(m.keySet()));
        if (split == Split.WILD) return new String[] {cat, Wild.preference(r, lang, pieces)};
        return new String[] {cat, pick(r, side(m.get(cat), split))};
    }

    /** @param open a wild plan that starts with any word ({@link Wild#openPlan}), its words partly glued from {@code pieces} */
    static String plan(Random r, Split split, Lang lang, boolean open, Pieces pieces) {
        if (split == Split.WILD) return open ? Wild.openPlan(r, lang, pieces) : Wild.plan(r, lang);
        return pick(r, side(lang == Lang.EN ? PLANS_EN : PLANS_ZH, split));
    }
}
