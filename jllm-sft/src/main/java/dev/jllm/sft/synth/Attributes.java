package dev.jllm.sft.synth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Open-ended facts: "my {attribute} is {value}", asked back as "what is my {attribute}?". The eight
 * fixed fact types teach eight questions; a user also says what their dog is called, their room
 * number or their flight date. With ~70 attributes per language (a third of them held out, never in
 * training) the only way to answer is the general one: find the statement whose attribute the
 * question repeats and copy the value that followed it. Values come from the same split-aware pools
 * as the fixed types (names in many scripts, numbers, codes, places, dates), chosen by the
 * attribute's class so that sentences stay plausible.
 */
final class Attributes {
    private Attributes() {}

    /** What kind of value an attribute takes. */
    enum ValueClass { NAME, NUMBER, CODE, PLACE, DATE }

    /** Attributes per value class, per language; entry i is held out when {@code i % 3 == 2}. */
    static final Map<ValueClass, List<String>> EN = ordered(
            ValueClass.NAME, List.of("dog's name", "cat's name", "boss's name", "best friend's name", "sister's name", "brother's name",
                    "teacher's name", "doctor's name", "neighbor's name", "son's name", "daughter's name", "grandfather's name", "horse's name",
                    "manager's name", "landlord's name", "coach's name", "cousin's name", "partner's name"),
            ValueClass.NUMBER, List.of("room number", "locker number", "apartment number", "seat number", "table number", "employee number",
                    "bus number", "desk number", "gate number", "student number", "membership number", "platform number",
                    "parking spot number", "extension number", "team number"),
            ValueClass.CODE, List.of("wifi password", "license plate", "gym locker code", "flight number", "ticket code", "tracking code",
                    "voucher code", "door code", "student ID", "parcel code", "account ID", "promo code", "serial number", "username",
                    "passport number"),
            ValueClass.PLACE, List.of("ski resort", "fishing spot", "holiday destination", "office city", "university town", "dream destination",
                    "grandmother's town", "next stop", "meeting place", "camping site", "company's home city", "final stop"),
            ValueClass.DATE, List.of("anniversary", "exam date", "dentist appointment", "wedding date", "flight date", "deadline",
                    "interview date", "mother's birthday", "move-in date", "concert date", "due date", "check-in date"));

    static final Map<ValueClass, List<String>> ZH = ordered(
            ValueClass.NAME, List.of("狗狗的名字", "猫的名字", "老板的名字", "好朋友的名字", "姐姐的名字", "哥哥的名字", "老师的名字", "医生的名字",
                    "邻居的名字", "儿子的名字", "女儿的名字", "爷爷的名字", "经理的名字", "房东的名字", "教练的名字", "表妹的名字", "同桌的名字",
                    "室友的名字"),
            ValueClass.NUMBER, List.of("房间号", "储物柜号码", "座位号", "桌号", "工号", "公交车号", "登机口号", "学号", "会员号", "站台号",
                    "车位号", "分机号", "门牌号", "队伍编号", "柜台号"),
            ValueClass.CODE, List.of("无线网密码", "车牌号", "储物柜密码", "航班号", "取件码", "快递单号", "优惠码", "门禁密码", "包裹码", "账号",
                    "序列号", "用户名", "护照号", "会员卡号", "寄存号"),
            ValueClass.PLACE, List.of("滑雪场", "钓鱼的地方", "度假目的地", "公司所在城市", "大学所在地", "梦想中的目的地", "奶奶住的镇", "下一站",
                    "见面地点", "露营地", "终点站", "出差的城市"),
            ValueClass.DATE, List.of("结婚纪念日", "考试日期", "牙医预约", "婚礼日期", "航班日期", "截止日期", "面试日期", "妈妈的生日", "搬家日期",
                    "演唱会日期", "预产期", "入住日期"));

    static final Phrasings.Kind KIND = new Phrasings.Kind("attribute",
            new Phrasings.Texts(
                    List.of("My {cat} is {v}.", "Just so you know, my {cat} is {v}.", "Quick note: my {cat} is {v}.",
                            "Please remember that my {cat} is {v}.", "By the way, my {cat} is {v}.", "{v} is my {cat}.",
                            "For the record, my {cat} is {v}.", "I should mention that my {cat} is {v}.", "My {cat}? It's {v}.",
                            "Can you remember something for me? My {cat} is {v}.", "Note this down: my {cat} is {v}.", "Oh, and my {cat} is {v}.",
                            "Remember this: my {cat} is {v}.", "I'll tell you my {cat}: it's {v}.", "Here's a detail: my {cat} is {v}."),
                    List.of("What is my {cat}?", "What's my {cat}?", "Quick check: my {cat}?", "Do you remember my {cat}?",
                            "What did I say my {cat} was?", "I forgot my {cat}. What was it?", "Can you tell me my {cat}?",
                            "Remind me, what's my {cat}?", "Which {cat} did I give you?", "What was my {cat} again?", "Tell me my {cat}, please.",
                            "Sorry, what's my {cat} again?", "Could you remind me of my {cat}?", "Do you still know my {cat}?",
                            "My {cat}, what was it?"),
                    List.of("Your {cat} is {v}.", "You said your {cat} is {v}.", "Your {cat} is {v}, as you told me.",
                            "You told me your {cat} is {v}.", "You mentioned your {cat} is {v}.", "Your {cat} was {v}.",
                            "According to you, your {cat} is {v}.", "I remember: your {cat} is {v}."),
                    List.of("Got it, I'll remember that.", "Noted: your {cat} is {v}.", "Okay, I'll keep that in mind.", "Thanks, noted!",
                            "Sure, I'll remember your {cat}.", "All right, noted.")),
            new Phrasings.Texts(
                    List.of("我的{cat}是{v}。", "顺便说一下，我的{cat}是{v}。", "我{cat}是{v}。", "请记住：我的{cat}是{v}。", "记一下，我的{cat}是{v}。",
                            "{v}是我的{cat}。", "告诉你，我的{cat}是{v}。", "对了，我的{cat}是{v}。", "我的{cat}？是{v}。", "帮我记住，我的{cat}是{v}。",
                            "说一下，我的{cat}是{v}。", "提一句，我的{cat}是{v}。", "你记一下我的{cat}：{v}。", "跟你说，我的{cat}是{v}。",
                            "麻烦记住，我的{cat}是{v}。"),
                    List.of("我的{cat}是什么？", "你还记得我的{cat}吗？", "我的{cat}是啥来着？", "我说我的{cat}是什么来着？", "告诉我我的{cat}。",
                            "考考你，我的{cat}是什么？", "提醒我一下，我的{cat}是什么？", "我之前说的{cat}是什么？", "我的{cat}你还记得吗？是什么？",
                            "请告诉我我的{cat}。", "我的{cat}是哪个来着？", "能说出我的{cat}吗？", "我忘了我的{cat}，是什么？", "你知道我的{cat}吗？",
                            "我刚才说的{cat}是什么？"),
                    List.of("你的{cat}是{v}。", "你说过你的{cat}是{v}。", "你告诉我你的{cat}是{v}。", "你提到你的{cat}是{v}。", "我记得你的{cat}是{v}。",
                            "你的{cat}是{v}，你之前告诉过我。", "是{v}，你的{cat}。", "你的{cat}：{v}。"),
                    List.of("好的，我记住了。", "记下了：你的{cat}是{v}。", "明白，我会记住的。", "收到！", "好的，你的{cat}我记住了。", "好的，已记下。")));

    /** An attribute from the split's side and a value of its class: [attribute, value, script or null]. */
    static String[] draw(Random r, Split split, Lang lang) {
        Map<ValueClass, List<String>> m = lang == Lang.EN ? EN : ZH;
        ValueClass c = Pools.pick(r, List.copyOf(m.keySet()));
        String attribute = Pools.pick(r, side(m.get(c), split));
        Pools.Script script = c == ValueClass.NAME ? Pools.script(r, lang) : null;
        return new String[] {attribute, value(r, split, lang, c, script), script == null ? null : script.name().toLowerCase(Locale.ROOT)};
    }

    /** The attributes of one side: entry i is held out when {@code i % 3 == 2}, as wordings are (the common ones come first). */
    static List<String> side(List<String> all, Split split) {
        return Phrasings.side(all, split, false);
    }

    /** Another value for {@code attribute} (a correction), in the same script for names. */
    static String redraw(Random r, Split split, Lang lang, String attribute, String script) {
        ValueClass c = classOf(lang, attribute);
        return value(r, split, lang, c, script == null ? null : Pools.Script.valueOf(script.toUpperCase(Locale.ROOT)));
    }

    static ValueClass classOf(Lang lang, String attribute) {
        for (var e : (lang == Lang.EN ? EN : ZH).entrySet()) if (e.getValue().contains(attribute)) return e.getKey();
        return openClass(lang, attribute);
    }

    /** The head nouns (English, Chinese) that give an open attribute its class. */
    private static final Map<ValueClass, String[]> NOUNS = Map.of(ValueClass.NAME, new String[] {" name", "的名字"},
            ValueClass.NUMBER, new String[] {" number", "号"}, ValueClass.CODE, new String[] {" code", "码"},
            ValueClass.PLACE, new String[] {" spot", "的地方"}, ValueClass.DATE, new String[] {" date", "日期"});

    /**
     * The class of an open attribute: the one its head noun names, else one fixed by the words themselves (so a correction
     * redraws a value of the same class).
     */
    static ValueClass openClass(Lang lang, String attribute) {
        for (var e : NOUNS.entrySet()) if (attribute.endsWith(e.getValue()[lang == Lang.EN ? 0 : 1])) return e.getKey();
        return ValueClass.values()[Math.floorMod(attribute.hashCode(), ValueClass.values().length)];
    }

    /**
     * The material of open attribute names, in a holder class so that it is built on first use: Wild's lists need Phrasings, whose
     * own initialisation reaches this class.
     */
    static final class Open {
        private Open() {}

        /**
         * Words of held-out English attributes (lower case, "'s" cut) and characters of held-out Chinese ones that no training-side
         * attribute has ("dream", "destination"; not "name" or 的): never in an open name.
         */
        static final java.util.Set<String> HELD_EN = pieces(EN, Split.HELDOUT, true), HELD_ZH = pieces(ZH, Split.HELDOUT, false);

        static {
            HELD_EN.removeAll(pieces(EN, Split.TRAIN, true));
            HELD_ZH.removeAll(pieces(ZH, Split.TRAIN, false));
        }

        private static java.util.Set<String> pieces(Map<ValueClass, List<String>> m, Split split, boolean words) {
            java.util.Set<String> out = new java.util.HashSet<>();
            for (List<String> l : m.values()) {
                for (String a : side(l, split)) {
                    if (words) for (String w : a.split(" ")) out.add(w.replace("'s", ""));
                    else a.codePoints().forEach(c -> out.add(Character.toString(c)));
                }
            }
            return out;
        }

        static final List<String> WORDS_EN = Wild.COMMON_EN.stream().filter(w -> w.length() >= 3 && !HELD_EN.contains(w)).toList();
        static final List<String> HAN = Wild.COMMON_HAN.stream().filter(c -> !HELD_ZH.contains(c)).toList();
    }

    /**
     * An open-ended attribute named at random, with a wild value of its class: [attribute, value, script or null]. English: one or
     * two common words, half the time with a head noun that says the class ("harbor lamp code"); Chinese: two or three common
     * characters, half the time with a class suffix (…码, …日期). No word or character of a held-out attribute is used.
     */
    static String[] drawOpen(Random r, Lang lang) {
        StringBuilder sb = new StringBuilder();
        if (lang == Lang.EN) {
            for (int i = 1 + r.nextInt(2); i > 0; i--) sb.append(sb.isEmpty() ? "" : " ").append(Pools.pick(r, Open.WORDS_EN));
        } else {
            for (int i = 2 + r.nextInt(2); i > 0; i--) sb.append(Pools.pick(r, Open.HAN));
        }
        if (r.nextBoolean()) sb.append(NOUNS.get(Pools.pick(r, List.of(ValueClass.values())))[lang == Lang.EN ? 0 : 1]);
        String attribute = sb.toString();
        ValueClass c = openClass(lang, attribute);
        Pools.Script script = c == ValueClass.NAME ? Pools.script(r, lang) : null;
        return new String[] {attribute, value(r, Split.WILD, lang, c, script), script == null ? null : script.name().toLowerCase(Locale.ROOT)};
    }

    private static String value(Random r, Split split, Lang lang, ValueClass c, Pools.Script script) {
        return switch (c) {
            case NAME -> Pools.name(r, split, script);
            case NUMBER -> Pools.number(r, split);
            case CODE -> Pools.code(r, split);
            case PLACE -> Pools.place(r, split, lang);
            case DATE -> Pools.date(r, split, lang);
        };
    }

    private static Map<ValueClass, List<String>> ordered(Object... kv) {
        Map<ValueClass, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> v = (List<String>) kv[i + 1];
            m.put((ValueClass) kv[i], new ArrayList<>(v));
        }
        return m;
    }
}
