package dev.jllm.sft.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The texts dialogues are written with, per fact type and language. Statement and question
 * phrasings (and distractor turns) are split: entry i is held out when {@code i % 3 == 2}
 * (distractors: {@code i % 4 == 3}), so held-out dialogues also ask in ways training never showed.
 * Answers, acknowledgements and correction openers are shared: they are what the model must learn
 * to say. {@code {v}} is the fact, {@code {cat}} a preference's category, {@code {old}} the value a
 * correction replaces.
 */
final class Phrasings {
    private Phrasings() {}

    /** The texts of one fact type in one language. */
    record Texts(List<String> statements, List<String> questions, List<String> answers, List<String> acks) {}

    /** One fact type: its id and its texts in each language. */
    record Kind(String id, Texts en, Texts zh) {
        Texts in(Lang lang) {
            return lang == Lang.EN ? en : zh;
        }
    }

    static boolean heldOutPhrasing(int i) {
        return i % 3 == 2;
    }

    static boolean heldOutDistractor(int i) {
        return i % 4 == 3;
    }

    /** The entries of {@code all} on this split's side. */
    static List<String> side(List<String> all, Split split, boolean distractor) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            boolean held = distractor ? heldOutDistractor(i) : heldOutPhrasing(i);
            if (held == (split == Split.HELDOUT)) out.add(all.get(i));
        }
        return out;
    }

    private static Texts t(List<String> statements, List<String> questions, List<String> answers, List<String> acks) {
        return new Texts(statements, questions, answers, acks);
    }

    static final Kind NAME = new Kind("name",
            t(List.of("My name is {v}.", "Hi, I'm {v}.", "You can call me {v}.", "Hello! My name's {v}, nice to meet you.",
                    "Let me introduce myself: I'm {v}.", "People call me {v}.", "I'm {v}, by the way.", "Just so you know, my name is {v}.",
                    "The name's {v}."),
                List.of("What's my name?", "Do you remember my name?", "What did I say my name was?", "Can you tell me my name?",
                    "Remind me, what is my name?", "Who am I? Tell me my name.", "What name did I give you earlier?", "Quick check: what's my name?",
                    "Do you still know what I'm called?"),
                List.of("Your name is {v}.", "You told me your name is {v}.", "You're {v}.", "Your name is {v}, as you told me earlier."),
                List.of("Nice to meet you, {v}! How can I help you today?", "Hello, {v}! What can I do for you?", "Nice to meet you! How can I help?",
                    "Great to meet you. What would you like to talk about?")),
            t(List.of("我叫{v}。", "你好，我是{v}。", "我的名字是{v}。", "你可以叫我{v}。", "先自我介绍一下，我叫{v}。", "大家都叫我{v}。",
                    "我是{v}，很高兴认识你。", "记一下，我的名字叫{v}。", "本人姓名：{v}。"),
                List.of("我叫什么名字？", "你还记得我的名字吗？", "我刚才说我叫什么？", "请告诉我，我的名字是什么？", "提醒我一下，我叫什么来着？",
                    "我是谁？说出我的名字。", "我之前告诉你的名字是什么？", "考考你：我叫什么？", "你知道我的名字吗？"),
                List.of("你叫{v}。", "你的名字是{v}。", "你告诉过我，你叫{v}。", "你是{v}。"),
                List.of("你好，{v}！有什么可以帮你的吗？", "很高兴认识你，{v}！", "很高兴认识你！有什么需要帮忙的吗？", "你好！今天想聊点什么？")));

    static final Kind NUMBER = new Kind("number",
            t(List.of("My lucky number is {v}.", "I always say my lucky number is {v}.", "Remember this: my lucky number is {v}.",
                    "{v} is my lucky number.", "My lucky number? It's {v}.", "For the record, {v} is the number that brings me luck."),
                List.of("What's my lucky number?", "Do you remember my lucky number?", "Which number did I say brings me luck?",
                    "Tell me my lucky number.", "What number did I say was my lucky one?", "Can you recall my lucky number?"),
                List.of("Your lucky number is {v}.", "It's {v}.", "You said your lucky number is {v}."),
                List.of("{v}, noted! Anything else?", "Got it, I'll remember that.", "Nice choice! How can I help you today?")),
            t(List.of("我的幸运数字是{v}。", "我一直说我的幸运数字是{v}。", "记住：我的幸运数字是{v}。", "{v}是我的幸运数字。",
                    "我的幸运数字？是{v}。", "给我带来好运的数字是{v}。"),
                List.of("我的幸运数字是多少？", "你还记得我的幸运数字吗？", "我说哪个数字给我带来好运？", "告诉我我的幸运数字。",
                    "我说过我的幸运数字是几？", "能想起我的幸运数字吗？"),
                List.of("你的幸运数字是{v}。", "是{v}。", "你说过你的幸运数字是{v}。"),
                List.of("{v}，记住了！还有别的吗？", "好的，我记住了。", "不错的数字！有什么可以帮你的？")));

    static final Kind PLACE = new Kind("place",
            t(List.of("I'm from {v}.", "I grew up in {v}.", "My hometown is {v}.", "I was born and raised in {v}.", "Originally, I come from {v}.",
                    "{v} is where I grew up."),
                List.of("Where am I from?", "What's my hometown?", "Which town did I say I grew up in?", "Do you remember where I grew up?",
                    "Where was I born and raised?", "Remind me, which place is my hometown?"),
                List.of("You're from {v}.", "Your hometown is {v}.", "You grew up in {v}."),
                List.of("{v} sounds lovely! What can I do for you?", "Thanks for sharing. How can I help?", "Nice! Tell me more whenever you like.")),
            t(List.of("我来自{v}。", "我是在{v}长大的。", "我的家乡是{v}。", "我土生土长在{v}。", "我老家在{v}。", "{v}是我长大的地方。"),
                List.of("我来自哪里？", "我的家乡是哪里？", "我说我在哪儿长大的？", "你还记得我老家在哪吗？", "我是在哪里长大的？", "提醒我一下，我的家乡是哪？"),
                List.of("你来自{v}。", "你的家乡是{v}。", "你是在{v}长大的。"),
                List.of("{v}听起来很不错！有什么可以帮你的？", "谢谢分享。需要我做什么？", "好的！想聊什么都可以。")));

    static final Kind PREFERENCE = new Kind("preference",
            t(List.of("My favorite {cat} is {v}.", "I really love {v}; it's my favorite {cat}.", "If you ask me, the best {cat} is {v}.",
                    "My absolute favorite {cat} has to be {v}.", "When it comes to {cat}, I always choose {v}.", "No {cat} beats {v} for me."),
                List.of("What's my favorite {cat}?", "Which {cat} do I like best?", "What did I say is the best {cat}?",
                    "Do you remember my favorite {cat}?", "Which {cat} do I always choose?", "Tell me which {cat} I love most."),
                List.of("Your favorite {cat} is {v}.", "You like {v} best.", "You said your favorite {cat} is {v}."),
                List.of("{v} is a great choice! Anything else?", "Noted. What else can I help with?", "Good taste! How can I help today?")),
            t(List.of("我最喜欢的{cat}是{v}。", "我特别爱{v}，这是我最喜欢的{cat}。", "要我说，最好的{cat}是{v}。", "我最最喜欢的{cat}就是{v}。",
                    "说到{cat}，我总是选{v}。", "对我来说，没有什么{cat}比得上{v}。"),
                List.of("我最喜欢的{cat}是什么？", "我最喜欢哪种{cat}？", "我说最好的{cat}是什么？", "你还记得我最喜欢的{cat}吗？",
                    "说到{cat}，我总是选什么？", "告诉我我最爱的{cat}是哪个。"),
                List.of("你最喜欢的{cat}是{v}。", "你最喜欢{v}。", "你说过你最喜欢的{cat}是{v}。"),
                List.of("{v}是个好选择！还有别的吗？", "记下了。还有什么可以帮你？", "品味不错！今天想聊什么？")));

    static final Kind PLAN = new Kind("plan",
            t(List.of("This weekend I'm planning to {v}.", "My plan for the weekend is to {v}.", "I've decided to {v} this weekend.",
                    "On Saturday I'm going to {v}.", "Big plans this weekend: I want to {v}.", "This weekend's project: I'll {v}."),
                List.of("What am I planning to do this weekend?", "What did I say my weekend plan was?",
                    "Remind me, what have I decided to do this weekend?", "Do you remember my plans for the weekend?",
                    "What's my plan for Saturday?", "What's my weekend project?"),
                List.of("You're planning to {v}.", "Your plan is to {v}.", "You said you want to {v} this weekend."),
                List.of("That sounds fun! Good luck.", "Sounds like a great plan. Anything I can help with?", "Nice, enjoy it! What else is on your mind?")),
            t(List.of("这个周末我打算{v}。", "我周末的计划是{v}。", "我决定这个周末{v}。", "周六我准备{v}。", "这周末的大计划：{v}。",
                    "这个周末我的任务是{v}。"),
                List.of("我这个周末打算做什么？", "我说我周末的计划是什么？", "提醒我一下，我决定这个周末干什么？", "你还记得我周末的安排吗？",
                    "我周六准备做什么？", "我这周末的任务是什么？"),
                List.of("你打算{v}。", "你的计划是{v}。", "你说过这个周末要{v}。"),
                List.of("听起来很有意思！祝你顺利。", "好计划！需要我帮忙吗？", "不错，好好享受！还有什么想聊的？")));

    static final Kind DATE = new Kind("date",
            t(List.of("My birthday is on {v}.", "I was born on {v}.", "Mark your calendar: my birthday is {v}.", "{v} is my birthday.",
                    "I celebrate my birthday on {v}.", "Every year on {v} I turn a year older."),
                List.of("When is my birthday?", "What date is my birthday?", "On what day do I turn a year older?", "Do you remember my birthday?",
                    "When do I celebrate my birthday?", "Which date did I say I was born on?"),
                List.of("Your birthday is on {v}.", "It's {v}.", "You were born on {v}."),
                List.of("{v}, noted! I'll remember that.", "Thanks for telling me!", "Nice! Anything I can help you with?")),
            t(List.of("我的生日是{v}。", "我出生在{v}。", "记下来：我的生日在{v}。", "{v}是我的生日。", "我每年{v}过生日。", "每年的{v}我就又长一岁。"),
                List.of("我的生日是哪天？", "我的生日是几月几号？", "我哪天又长一岁？", "你记得我的生日吗？", "我每年哪天过生日？", "我说我是哪天出生的？"),
                List.of("你的生日是{v}。", "是{v}。", "你出生在{v}。"),
                List.of("{v}，记住了！", "谢谢告诉我！", "好的！有什么可以帮你的吗？")));

    static final Kind CODE = new Kind("code",
            t(List.of("My booking code is {v}.", "Please remember my booking code: {v}.", "Here's my reservation code: {v}.",
                    "The code for my booking is {v}.", "Note down my booking reference, {v}.", "{v} is the code on my reservation."),
                List.of("What's my booking code?", "Can you tell me my booking reference?", "Which code is on my reservation?",
                    "Do you remember my booking code?", "What was the code for my booking?", "Read me back my reservation code."),
                List.of("Your booking code is {v}.", "It's {v}.", "The code you gave me is {v}."),
                List.of("Got it: {v}.", "Noted, I'll keep it in mind.", "Thanks, I've got it. Anything else?")),
            t(List.of("我的预订码是{v}。", "请记住我的预订码：{v}。", "这是我的预约码：{v}。", "我那个预订的代码是{v}。", "记一下我的订单号，{v}。",
                    "{v}是我预约上的代码。"),
                List.of("我的预订码是什么？", "能告诉我我的订单号吗？", "我预约上的代码是什么？", "你还记得我的预订码吗？", "我那个预订的代码是多少？",
                    "把我的预约码念给我听。"),
                List.of("你的预订码是{v}。", "是{v}。", "你给我的代码是{v}。"),
                List.of("收到：{v}。", "记下了。", "好的，我记住了。还有别的吗？")));

    static final Kind ADDRESS = new Kind("address",
            t(List.of("My address is {v}.", "I live at {v}.", "You can send letters to me at {v}.", "Our new place is at {v}.", "I just moved to {v}.",
                    "Home for me is {v}."),
                List.of("What's my address?", "Where do I live?", "Where should letters to me be sent?", "Do you remember my address?",
                    "What address did I give you?", "Which street address is my home?"),
                List.of("Your address is {v}.", "You live at {v}.", "You told me you live at {v}."),
                List.of("Thanks, I've noted {v}.", "Got it.", "Noted! How can I help?")),
            t(List.of("我的地址是{v}。", "我住在{v}。", "给我寄信就寄到{v}。", "我们的新家在{v}。", "我刚搬到{v}。", "我家就在{v}。"),
                List.of("我的地址是什么？", "我住在哪里？", "给我寄信应该寄到哪儿？", "你还记得我的地址吗？", "我给你的地址是什么？", "我家的门牌地址是哪里？"),
                List.of("你的地址是{v}。", "你住在{v}。", "你说过你住在{v}。"),
                List.of("好的，记下了{v}。", "收到。", "记住了！有什么可以帮你的？")));

    static final List<Kind> KINDS = List.of(NAME, NUMBER, PLACE, PREFERENCE, PLAN, DATE, CODE, ADDRESS);

    /** Openers put before a corrected statement (statement follows). */
    static final Map<Lang, List<String>> CORRECTIONS = Map.of(
            Lang.EN, List.of("Actually, I made a mistake. ", "Sorry, correction: ", "Wait, that's not right. ", "Oops, scratch that. "),
            Lang.ZH, List.of("其实", "不好意思，我刚才说错了。", "更正一下：", "等等，说错了。"));

    /** Name corrections said the natural way ("actually my name is …"). */
    static final Map<Lang, List<String>> NAME_CORRECTIONS = Map.of(
            Lang.EN, List.of("Actually, my name is {v}, not {old}.", "Sorry, I mistyped. My name is actually {v}."),
            Lang.ZH, List.of("其实我叫{v}，不叫{old}。", "不好意思，打错了，我其实叫{v}。"));

    static final Map<Lang, List<String>> CORRECTION_ACKS = Map.of(
            Lang.EN, List.of("Thanks for the correction, noted.", "No problem, I've updated that.", "Got it, I'll use the corrected one."),
            Lang.ZH, List.of("好的，已经更正。", "没关系，我记下新的了。", "明白，以更正后的为准。"));

    static final Map<Lang, List<String>> SYSTEMS = Map.of(
            Lang.EN, List.of("You are a helpful assistant.", "You are a friendly assistant. Answer briefly.", "You are jllm, a helpful assistant."),
            Lang.ZH, List.of("你是一个乐于助人的助手。", "你是一个友好的助手，回答要简洁。", "你是jllm，一个乐于助人的助手。"));

    /** Unrelated turns: user, assistant, user, assistant, ... (no 3- or 4-digit numbers: those are held-out numbers). */
    static final Map<Lang, List<String>> DISTRACTORS = Map.of(
            Lang.EN, List.of(
                    "What's the capital of France?", "The capital of France is Paris.",
                    "How many seasons are there in a year?", "Four: spring, summer, autumn and winter.",
                    "Give me a tip for sleeping better.", "Keep a regular schedule and avoid screens for an hour before bed.",
                    "What is 7 times 8?", "7 times 8 is 56.",
                    "Why is the sky blue?", "Sunlight scatters off air molecules, and blue light scatters the most.",
                    "How do I boil an egg?", "Put it in boiling water for about 9 minutes, then cool it in cold water.",
                    "What's a synonym for happy?", "Joyful, cheerful or glad.",
                    "Tell me a fun fact.", "Octopuses have three hearts.",
                    "How many continents are there?", "There are seven continents.",
                    "What's the opposite of ancient?", "Modern.",
                    "Translate 'thank you' into Spanish.", "Gracias.",
                    "Is a tomato a fruit?", "Botanically, yes: it is a fruit.",
                    "What's the weather like on Mars?", "Cold, dry and dusty, with very thin air.",
                    "Can you recommend a book?", "Try The Little Prince; it is short and lovely.",
                    "How do you say hello in Japanese?", "Konnichiwa.",
                    "What's 15 plus 27?", "15 plus 27 is 42.",
                    "Give me a word that rhymes with cat.", "Hat.",
                    "What do bees make?", "Bees make honey.",
                    "How many legs does a spider have?", "Eight.",
                    "What's the largest planet?", "Jupiter.",
                    "Any tips for learning a language?", "Practice a little every day and speak as early as you can.",
                    "What is photosynthesis?", "How plants turn light, water and carbon dioxide into sugar and oxygen.",
                    "Which ocean is the biggest?", "The Pacific Ocean.",
                    "How long does sunlight take to reach Earth?", "About eight minutes.",
                    "What's a good stretch for my back?", "Try child's pose: kneel, sit back on your heels and reach forward.",
                    "What does CPU stand for?", "Central processing unit.",
                    "Who wrote Romeo and Juliet?", "William Shakespeare.",
                    "What's the freezing point of water in Fahrenheit?", "32 degrees Fahrenheit.",
                    "How many minutes are in an hour?", "Sixty.",
                    "What's a haiku?", "A short poem of three lines with five, seven and five syllables.",
                    "How many days are in a week?", "Seven.",
                    "What gas do we breathe out?", "Mostly carbon dioxide, along with nitrogen and some oxygen."),
            Lang.ZH, List.of(
                    "法国的首都是哪里？", "法国的首都是巴黎。",
                    "一年有几个季节？", "四个：春、夏、秋、冬。",
                    "给我一个助眠的小建议。", "睡前一小时别看手机，作息尽量规律。",
                    "7乘以8等于多少？", "7乘以8等于56。",
                    "天空为什么是蓝色的？", "阳光被空气分子散射，蓝光散射得最多。",
                    "鸡蛋要煮多久？", "水开后煮大约9分钟，再放进冷水里。",
                    "“开心”的近义词有哪些？", "高兴、快乐、愉快。",
                    "讲一个冷知识。", "章鱼有三颗心脏。",
                    "世界上有几大洲？", "七大洲。",
                    "“古老”的反义词是什么？", "现代。",
                    "“谢谢”用英语怎么说？", "Thank you.",
                    "西红柿是水果吗？", "从植物学上说，是的。",
                    "火星上的天气怎么样？", "寒冷、干燥，到处是沙尘，空气很稀薄。",
                    "推荐一本书吧。", "试试《小王子》，短小又动人。",
                    "日语的“你好”怎么说？", "Konnichiwa。",
                    "15加27等于多少？", "等于42。",
                    "蜜蜂会酿什么？", "蜂蜜。",
                    "蜘蛛有几条腿？", "八条。",
                    "太阳系最大的行星是哪颗？", "木星。",
                    "学外语有什么诀窍？", "每天练一点，尽早开口说。",
                    "什么是光合作用？", "植物利用光、水和二氧化碳制造糖和氧气的过程。",
                    "最大的海洋是哪个？", "太平洋。",
                    "阳光到达地球要多久？", "大约八分钟。",
                    "腰酸有什么简单的拉伸动作？", "试试婴儿式：跪坐后向前伸展手臂。",
                    "CPU是什么的缩写？", "中央处理器。",
                    "《罗密欧与朱丽叶》是谁写的？", "莎士比亚。",
                    "《静夜思》的作者是谁？", "唐代诗人李白。",
                    "一小时有多少分钟？", "六十分钟。",
                    "什么是俳句？", "一种三行短诗，音节是五、七、五。",
                    "一周有几天？", "七天。",
                    "水的化学式是什么？", "H2O。",
                    "我们呼出的主要是什么气体？", "主要是氮气，还有二氧化碳和氧气。"));

    /** Every character of every Chinese text above: name and place characters must be none of them. */
    static Set<Integer> chineseTextChars() {
        Set<Integer> out = new TreeSet<>();
        List<String> texts = new ArrayList<>();
        for (Kind k : KINDS) {
            texts.addAll(k.zh().statements());
            texts.addAll(k.zh().questions());
            texts.addAll(k.zh().answers());
            texts.addAll(k.zh().acks());
        }
        texts.addAll(CORRECTIONS.get(Lang.ZH));
        texts.addAll(NAME_CORRECTIONS.get(Lang.ZH));
        texts.addAll(CORRECTION_ACKS.get(Lang.ZH));
        texts.addAll(SYSTEMS.get(Lang.ZH));
        texts.addAll(DISTRACTORS.get(Lang.ZH));
        for (String s : texts) s.codePoints().forEach(out::add);
        return out;
    }
}
