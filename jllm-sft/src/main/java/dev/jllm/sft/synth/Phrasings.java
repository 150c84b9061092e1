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
 * Each type has about 30 statements and 30 questions per language (about 20 for training): other
 * verbs, word orders, short and long forms, politeness, and synonyms of the type (code, booking
 * reference, confirmation number, 预订码, 订单号, 确认码, ...), so that a model can learn to recognise
 * the type from the wording rather than from a handful of fixed sentences.
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
                    "The name's {v}.", "Call me {v}.", "I go by {v}.", "Hey there, {v} here.", "Hi! {v} speaking.", "This is {v}.",
                    "Good morning, my name is {v}.", "Everyone calls me {v}.", "Before we start: my name is {v}.",
                    "I'd like you to know my name. It's {v}.", "Please remember that my name is {v}.", "My friends know me as {v}.",
                    "Hello, I am {v}.", "Hey! I'm called {v}.", "Nice to meet you, I'm {v}.", "{v} is my name.", "Please address me as {v}.",
                    "My first name is {v}.", "It's {v} here, hi!", "Allow me to introduce myself, my name is {v}.", "Oh, and I'm {v}.",
                    "Hey, it's me, {v}."),
                List.of("What's my name?", "Do you remember my name?", "What did I say my name was?", "Can you tell me my name?",
                    "Remind me, what is my name?", "Who am I? Tell me my name.", "What name did I give you earlier?", "Quick check: what's my name?",
                    "Do you still know what I'm called?", "What am I called?", "Who am I?", "Do you know who I am?", "What should you call me?",
                    "Could you tell me what my name is?", "Say my name, please.", "I forgot, what did I tell you my name was?",
                    "How did I introduce myself?", "What name do I go by?", "Tell me who I am.", "Did I tell you my name? What is it?",
                    "What's the name I gave you?", "Please repeat my name.", "Can you say my name back to me?", "How should you address me?",
                    "Any idea what my name is?", "Let's test your memory: who am I?", "What did I introduce myself as?", "Sorry, who am I again?",
                    "Can you remind me of my name?", "What is my first name?", "Do you recall my name?"),
                List.of("Your name is {v}.", "You told me your name is {v}.", "You're {v}.", "Your name is {v}, as you told me earlier.",
                    "You are {v}.", "You said your name is {v}.", "You introduced yourself as {v}.", "You go by {v}.", "Your name's {v}.",
                    "You're {v}, if I remember correctly.", "You told me to call you {v}."),
                List.of("Nice to meet you, {v}! How can I help you today?", "Hello, {v}! What can I do for you?",
                    "Nice to meet you! How can I help?", "Great to meet you. What would you like to talk about?", "Hi {v}, good to meet you!",
                    "Welcome, {v}! What's on your mind?", "Thanks for introducing yourself. What can I do for you?", "Hello there! How may I help?")),
            t(List.of("我叫{v}。", "你好，我是{v}。", "我的名字是{v}。", "你可以叫我{v}。", "先自我介绍一下，我叫{v}。", "大家都叫我{v}。",
                    "我是{v}，很高兴认识你。", "记一下，我的名字叫{v}。", "本人姓名：{v}。", "叫我{v}就行。", "我的名字叫{v}。", "嗨，我叫{v}。",
                    "您好，我是{v}。", "大家好，我是{v}。", "朋友们都叫我{v}。", "我的全名是{v}。", "认识一下，我是{v}。", "先说一下，我叫{v}。",
                    "你好呀，我叫{v}，请多关照。", "请记住我的名字：{v}。", "以后就叫我{v}吧。", "我就是{v}。", "我的名字？{v}。", "对了，我叫{v}。",
                    "初次见面，我叫{v}。", "在下{v}。", "自我介绍：我是{v}。", "我名叫{v}。", "这里是{v}，你好。"),
                List.of("我叫什么名字？", "你还记得我的名字吗？", "我刚才说我叫什么？", "请告诉我，我的名字是什么？", "提醒我一下，我叫什么来着？",
                    "我是谁？说出我的名字。", "我之前告诉你的名字是什么？", "考考你：我叫什么？", "你知道我的名字吗？", "我叫啥？",
                    "我的名字叫什么？", "你知道我是谁吗？", "我是谁来着？", "还记得我叫什么吗？", "我的全名是什么？", "你该怎么称呼我？",
                    "说说看，我叫什么名字？", "我刚才自我介绍时说了什么名字？", "你还能叫出我的名字吗？", "请说出我的名字。",
                    "我的名字你记住了吗？是什么？", "我前面说我叫啥来着？", "考一下你：我的名字是？", "你怎么称呼我？",
                    "我告诉过你我叫什么，是什么来着？", "我叫什么，你还记得吧？", "能再说一遍我的名字吗？", "我的名字是什么来着？",
                    "我叫什么，你能说出来吗？", "你还知道我叫啥吗？", "请问我叫什么名字？"),
                List.of("你叫{v}。", "你的名字是{v}。", "你告诉过我，你叫{v}。", "你是{v}。", "你的名字叫{v}。", "你说你叫{v}。",
                    "你自我介绍说你是{v}。", "我记得你叫{v}。", "你的全名是{v}。", "我该叫你{v}。"),
                List.of("你好，{v}！有什么可以帮你的吗？", "很高兴认识你，{v}！", "很高兴认识你！有什么需要帮忙的吗？", "你好！今天想聊点什么？",
                    "{v}，你好！", "欢迎你，{v}！想聊点什么？", "好的，{v}，很高兴认识你。", "认识你真好！请问需要什么帮助？")));

    static final Kind NUMBER = new Kind("number",
            t(List.of("My lucky number is {v}.", "I always say my lucky number is {v}.", "Remember this: my lucky number is {v}.",
                    "{v} is my lucky number.", "My lucky number? It's {v}.", "For the record, {v} is the number that brings me luck.",
                    "The number that brings me luck is {v}.", "I consider {v} my lucky number.", "Lucky number? Mine is {v}.",
                    "I've always felt that {v} is lucky for me.", "For luck, I always pick {v}.", "Here's a fun fact: my lucky number is {v}.",
                    "Whenever I need luck, I think of {v}.", "My personal lucky number is {v}.", "I believe {v} brings me good fortune.",
                    "The number {v} has always been lucky for me.", "Please keep in mind that my lucky number is {v}.",
                    "If I had to pick a lucky number, it would be {v}.", "I always bet on {v}; it's my lucky number.",
                    "Note this down: my lucky number is {v}.", "My lucky charm is a number: {v}.",
                    "I'm a bit superstitious: {v} is my lucky number.", "My mom says my lucky number is {v}, and I agree.",
                    "Let me tell you my lucky number: {v}.", "I pick {v} whenever I need a lucky number.",
                    "Good things happen to me with {v}; it's my lucky number.", "Can you remember something? My lucky number is {v}.",
                    "I'd call {v} my lucky number.", "I have a lucky number, and it's {v}.", "To me, {v} is the luckiest number there is."),
                List.of("What's my lucky number?", "Do you remember my lucky number?", "Which number did I say brings me luck?",
                    "Tell me my lucky number.", "What number did I say was my lucky one?", "Can you recall my lucky number?",
                    "What number brings me luck?", "Which number is my lucky one?", "What did I tell you my lucky number was?",
                    "Remind me of my lucky number.", "What's the number I consider lucky?", "Which number do I always pick for luck?",
                    "Do you know my lucky number?", "What number do I believe brings me good fortune?",
                    "Can you remind me which number is lucky for me?", "What's my personal lucky number?", "Tell me the number I said was lucky.",
                    "Quick question: what is my lucky number?", "Which number did I call my lucky one?", "Any idea what my lucky number is?",
                    "Sorry, what's my lucky number again?", "My lucky number, what is it?", "What's the luckiest number for me?",
                    "Which number do I call lucky?", "What's that lucky number I told you about?", "Do you recall which number brings me luck?",
                    "What number should I pick if I need luck?", "Which number do good things happen with, according to me?",
                    "I told you a lucky number earlier. Which was it?", "Could you tell me my lucky number?", "What lucky number did I mention?"),
                List.of("Your lucky number is {v}.", "It's {v}.", "You said your lucky number is {v}.", "Your lucky number is {v}, as you told me.",
                    "You told me {v} is your lucky number.", "The number that brings you luck is {v}.", "You said {v} brings you luck.",
                    "That would be {v}."),
                List.of("{v}, noted! Anything else?", "Got it, I'll remember that.", "Nice choice! How can I help you today?",
                    "Lucky {v}! I'll keep that in mind.", "Noted: {v}. What else?", "Thanks, I'll remember {v}.")),
            t(List.of("我的幸运数字是{v}。", "我一直说我的幸运数字是{v}。", "记住：我的幸运数字是{v}。", "{v}是我的幸运数字。",
                    "我的幸运数字？是{v}。", "给我带来好运的数字是{v}。", "我认为{v}是我的幸运数字。", "说到幸运数字，我的是{v}。",
                    "我的幸运号码是{v}。", "能带给我好运的数字是{v}。", "我一向觉得{v}很吉利。", "我最幸运的数字是{v}。",
                    "请记住，{v}是我的幸运数。", "每次需要运气，我就想到{v}。", "我相信{v}会带给我好运。", "幸运数字嘛，我的是{v}。",
                    "告诉你，我的幸运数字是{v}。", "对我来说，{v}是个吉利的数字。", "数字{v}一直给我带来好运。", "我的吉祥数字是{v}。",
                    "顺便说一句，我的幸运数字是{v}。", "我有个幸运数字，就是{v}。", "让我告诉你我的幸运数字：{v}。",
                    "我有点迷信，{v}是我的幸运数字。", "需要好运的时候，我就选{v}。", "在我看来，{v}是最幸运的数字。",
                    "帮我记一下，我的幸运数字是{v}。", "我妈妈说我的幸运数字是{v}。", "遇到{v}我就觉得会有好事。", "我的幸运数字嘛，就是{v}。"),
                List.of("我的幸运数字是多少？", "你还记得我的幸运数字吗？", "我说哪个数字给我带来好运？", "告诉我我的幸运数字。",
                    "我说过我的幸运数字是几？", "能想起我的幸运数字吗？", "我的幸运数是几？", "哪个数字给我带来好运？", "我的幸运号码是多少？",
                    "我觉得哪个数字吉利？", "你记得我的吉祥数字吗？", "我最幸运的数字是哪个？", "我刚才说的幸运数字是多少？", "说说我的幸运数字。",
                    "对我来说，哪个数字最吉利？", "我的幸运数字你还记得吗？", "能不能提醒我，我的幸运数字是几？", "我说过哪个数字会带给我好运？",
                    "考考你，我的幸运数字是什么？", "我的吉利数字是多少来着？", "你知道我的幸运数字吗？", "我提到的那个幸运数字是多少？",
                    "对我而言最幸运的是哪个数字？", "我说的那个幸运数字是几？", "需要好运的时候我会选哪个数字？", "我之前提到的幸运数字是多少？",
                    "你能告诉我我的幸运数字吗？", "我有点迷信的那个数字是几？", "遇到哪个数字我会觉得有好事？", "我跟你说过我的幸运数字，是几来着？",
                    "哪个数字是我的幸运数字？"),
                List.of("你的幸运数字是{v}。", "是{v}。", "你说过你的幸运数字是{v}。", "你的幸运数字是{v}，你说过的。", "你的幸运号码是{v}。",
                    "给你带来好运的数字是{v}。", "你觉得{v}最吉利。", "你说{v}会带给你好运。"),
                List.of("{v}，记住了！还有别的吗？", "好的，我记住了。", "不错的数字！有什么可以帮你的？", "好，{v}，记下了。",
                    "{v}，真是个吉利的数字！", "明白，{v}。")));

    static final Kind PLACE = new Kind("place",
            t(List.of("I'm from {v}.", "I grew up in {v}.", "My hometown is {v}.", "I was born and raised in {v}.", "Originally, I come from {v}.",
                    "{v} is where I grew up.", "My hometown is {v}, a small place you may not know.", "I come from {v}.", "I'm originally from {v}.",
                    "I spent my childhood in {v}.", "I was raised in {v}.", "My roots are in {v}.", "I'm a native of {v}.", "Where I'm from? {v}.",
                    "My family is from {v}, and that's where I grew up.", "I hail from {v}.", "I was born in {v}.", "Fun fact: I grew up in {v}.",
                    "I lived in {v} as a kid.", "I'm from a place called {v}.", "The town I grew up in is {v}.",
                    "You might not have heard of it, but I'm from {v}.", "I was brought up in {v}.", "My childhood home was in {v}.",
                    "Growing up, I lived in {v}.", "I call {v} my hometown.", "Before I moved away, I lived in {v} my whole childhood.",
                    "My parents raised me in {v}.", "I'm proud to be from {v}.", "Just so you know, I'm from {v}."),
                List.of("Where am I from?", "What's my hometown?", "Which town did I say I grew up in?", "Do you remember where I grew up?",
                    "Where was I born and raised?", "Remind me, which place is my hometown?", "Where did I grow up?", "Which town am I from?",
                    "Where's my hometown?", "What place did I say I come from?", "Where was I raised?", "Where did I spend my childhood?",
                    "Do you know where I'm from?", "Which place am I a native of?", "Where are my roots?",
                    "What's the name of the town I grew up in?", "Where did I live as a kid?", "Tell me where I come from.",
                    "Can you recall my hometown?", "Where was I born?", "Where does my family come from?", "Sorry, where am I from again?",
                    "Where was I brought up?", "Which town do I call my hometown?", "Where was my childhood home?", "Where did I live growing up?",
                    "Which place am I proud to be from?", "Where did my parents raise me?", "What's the place I come from?",
                    "Could you remind me where I'm from?", "Where is my hometown again?"),
                List.of("You're from {v}.", "Your hometown is {v}.", "You grew up in {v}.", "You come from {v}.",
                    "Your hometown is {v}, as you told me.", "You're originally from {v}.", "You were raised in {v}.",
                    "You said you grew up in {v}."),
                List.of("{v} sounds lovely! What can I do for you?", "Thanks for sharing. How can I help?", "Nice! Tell me more whenever you like.",
                    "Thanks! I'll remember that you're from {v}.", "Oh, {v}! Got it.", "Good to know. What's on your mind?")),
            t(List.of("我来自{v}。", "我是在{v}长大的。", "我的家乡是{v}。", "我土生土长在{v}。", "我老家在{v}。", "{v}是我长大的地方。",
                    "我老家是{v}的。", "我从小在{v}长大。", "我是{v}人。", "我的老家在{v}。", "我在{v}出生长大。", "我家乡在{v}。",
                    "说起来，我是从{v}来的。", "我小时候住在{v}。", "我的故乡是{v}。", "我是土生土长的{v}人。", "我祖籍{v}。",
                    "我来自一个叫{v}的地方。", "我长大的地方叫{v}。", "{v}是我的家乡。", "小时候我一直在{v}生活。", "我父母在{v}把我养大。",
                    "我的童年是在{v}度过的。", "我从{v}来。", "我老家就是{v}。", "我为自己是{v}人而骄傲。", "搬走之前，我一直住在{v}。",
                    "你可能没听说过，我来自{v}。", "我成长的地方是{v}。", "顺便说一下，我是{v}人。"),
                List.of("我来自哪里？", "我的家乡是哪里？", "我说我在哪儿长大的？", "你还记得我老家在哪吗？", "我是在哪里长大的？",
                    "提醒我一下，我的家乡是哪？", "我是哪里人？", "我老家是哪儿的？", "我从小在哪里长大？", "我的故乡是哪里？", "我说我是从哪来的？",
                    "我小时候住在哪儿？", "我的老家在哪里？", "我祖籍是哪里？", "你知道我是哪儿人吗？", "我长大的地方叫什么？", "我来自哪个地方？",
                    "说说看，我的家乡在哪？", "你还记得我是从哪里来的吗？", "我出生长大的地方是哪？", "我小时候在哪里生活？",
                    "能告诉我我的家乡是哪吗？", "我的童年是在哪里度过的？", "我父母在哪里把我养大？", "我是从哪儿来的？", "我成长的地方是哪里？",
                    "搬走之前我一直住在哪？", "我老家是哪里？", "我为自己是哪里人而骄傲？", "你能说出我的家乡吗？", "我说我来自哪儿？"),
                List.of("你来自{v}。", "你的家乡是{v}。", "你是在{v}长大的。", "你是{v}人。", "你老家在{v}。", "你的故乡是{v}。",
                    "你说过你来自{v}。", "你从小在{v}长大。"),
                List.of("{v}听起来很不错！有什么可以帮你的？", "谢谢分享。需要我做什么？", "好的！想聊什么都可以。", "原来你是从{v}来的！",
                    "好的，记住了你来自{v}。", "了解！有什么想聊的吗？")));

    static final Kind PREFERENCE = new Kind("preference",
            t(List.of("My favorite {cat} is {v}.", "I really love {v}; it's my favorite {cat}.", "If you ask me, the best {cat} is {v}.",
                    "My absolute favorite {cat} has to be {v}.", "When it comes to {cat}, I always choose {v}.", "No {cat} beats {v} for me.",
                    "I'm a huge fan of {v}; no other {cat} comes close.", "My go-to {cat} is {v}.",
                    "If I could pick only one {cat}, it would be {v}.", "The {cat} I love most is {v}.", "I'd pick {v} over any other {cat}.",
                    "My top {cat} is {v}.", "I adore {v}. It's my number one {cat}.", "For {cat}, my favorite is {v}.",
                    "Favorite {cat}? Definitely {v}.", "I just love {v}, my favorite {cat} by far.",
                    "I never get tired of {v}; it's the {cat} I like best.", "Ask me about {cat} and I'll say {v}.",
                    "I'm crazy about {v}. Best {cat} ever.", "My favourite {cat} is {v}.", "Honestly, my favorite {cat} is {v}.",
                    "My number one {cat} is {v}.", "Nothing makes me happier than {v}; it's my favorite {cat}.",
                    "I've always loved {v} more than any other {cat}.", "Speaking of {cat}, I'm all about {v}.",
                    "My heart belongs to {v} when it comes to {cat}.", "Pick a {cat} for me? I'd say {v}.",
                    "I'm obsessed with {v}, the best {cat} in my opinion.", "Among all the choices of {cat}, {v} wins for me.",
                    "Let me share something: my favorite {cat} is {v}."),
                List.of("What's my favorite {cat}?", "Which {cat} do I like best?", "What did I say is the best {cat}?",
                    "Do you remember my favorite {cat}?", "Which {cat} do I always choose?", "Tell me which {cat} I love most.",
                    "What's my go-to {cat}?", "Which {cat} did I say I love?", "What's my top {cat}?",
                    "If I could pick only one {cat}, which would it be?", "Which {cat} would I pick over any other?", "What {cat} do I like most?",
                    "Remind me of my favorite {cat}.", "Which {cat} is my number one?", "What's my favourite {cat}?",
                    "Do you know which {cat} I adore?", "Which {cat} did I call the best?", "Tell me my favorite {cat}.",
                    "What {cat} am I a huge fan of?", "Quick one: my favorite {cat}?", "What {cat} do I never get tired of?",
                    "Which {cat} do I prefer?", "Can you recall which {cat} I like best?", "Which {cat} makes me happiest?",
                    "What {cat} have I always loved more than any other?", "Speaking of {cat}, what am I all about?",
                    "Which {cat} am I obsessed with?", "Which {cat} wins for me?", "What would I say if you asked for my favorite {cat}?",
                    "Could you remind me which {cat} I like most?", "What's the best {cat} in my opinion?"),
                List.of("Your favorite {cat} is {v}.", "You like {v} best.", "You said your favorite {cat} is {v}.",
                    "Your favorite {cat} is {v}, as you told me.", "You love {v}.", "Your go-to {cat} is {v}.", "You said you like {v} best.",
                    "Your top {cat} is {v}.", "You told me your favourite {cat} is {v}."),
                List.of("{v} is a great choice! Anything else?", "Noted. What else can I help with?", "Good taste! How can I help today?",
                    "Great choice, {v} it is!", "I'll remember that you love {v}.", "Nice! Anything else you'd like to share?")),
            t(List.of("我最喜欢的{cat}是{v}。", "我特别爱{v}，这是我最喜欢的{cat}。", "要我说，最好的{cat}是{v}。", "我最最喜欢的{cat}就是{v}。",
                    "说到{cat}，我总是选{v}。", "对我来说，没有什么{cat}比得上{v}。", "{cat}里我最爱{v}。", "我最爱的{cat}是{v}。",
                    "我超级喜欢{v}，它是我心中最好的{cat}。", "要选一种{cat}的话，我选{v}。", "我最中意的{cat}是{v}。",
                    "在所有{cat}里，我最喜欢{v}。", "我对{v}情有独钟，这是我最爱的{cat}。", "{cat}的话，我首选{v}。", "我偏爱的{cat}是{v}。",
                    "我心目中最棒的{cat}是{v}。", "我最钟爱的{cat}就是{v}。", "说起{cat}，我第一个想到{v}。", "我喜欢的{cat}排第一的是{v}。",
                    "告诉你，我最喜欢的{cat}是{v}。", "没有什么比{v}更让我开心了，它是我最爱的{cat}。", "我一直最喜欢{v}这种{cat}。",
                    "说到{cat}，我非{v}不选。", "我对{v}简直着迷，它是最棒的{cat}。", "所有{cat}里，{v}是我的第一名。",
                    "跟你说件事：我最喜欢的{cat}是{v}。", "如果只能选一种{cat}，我要{v}。", "我的心头好是{v}，这是我最喜欢的{cat}。",
                    "论{cat}，我最爱{v}。", "我就爱{v}，别的{cat}都比不上。"),
                List.of("我最喜欢的{cat}是什么？", "我最喜欢哪种{cat}？", "我说最好的{cat}是什么？", "你还记得我最喜欢的{cat}吗？",
                    "说到{cat}，我总是选什么？", "告诉我我最爱的{cat}是哪个。", "我最爱的{cat}是什么？", "我最中意哪种{cat}？",
                    "在所有{cat}里，我最喜欢哪个？", "{cat}的话，我首选什么？", "我偏爱哪种{cat}？", "我心目中最棒的{cat}是什么？",
                    "我对哪种{cat}情有独钟？", "要选一种{cat}，我会选什么？", "说起{cat}，我第一个想到的是什么？", "我最钟爱的{cat}是哪个？",
                    "提醒我一下，我最喜欢的{cat}是啥？", "我喜欢的{cat}排第一的是哪个？", "你知道我最喜欢什么{cat}吗？", "我说过我最喜欢哪种{cat}？",
                    "考考你，我最爱哪种{cat}？", "哪种{cat}是我的最爱？", "哪种{cat}最让我开心？", "我一直最喜欢哪种{cat}？",
                    "我对哪种{cat}简直着迷？", "所有{cat}里，哪个是我的第一名？", "如果只能选一种{cat}，我要哪个？", "我的心头好是哪种{cat}？",
                    "论{cat}，我最爱什么？", "我说别的{cat}都比不上哪个？", "你能提醒我我最喜欢哪种{cat}吗？"),
                List.of("你最喜欢的{cat}是{v}。", "你最喜欢{v}。", "你说过你最喜欢的{cat}是{v}。", "你最爱的{cat}是{v}。", "你最爱{v}。",
                    "你偏爱{v}。", "你说你最喜欢{v}。", "你心目中最棒的{cat}是{v}。"),
                List.of("{v}是个好选择！还有别的吗？", "记下了。还有什么可以帮你？", "品味不错！今天想聊什么？", "{v}，我也觉得不错！",
                    "好的，记住你喜欢{v}了。", "明白了！还想聊什么？")));

    static final Kind PLAN = new Kind("plan",
            t(List.of("This weekend I'm planning to {v}.", "My plan for the weekend is to {v}.", "I've decided to {v} this weekend.",
                    "On Saturday I'm going to {v}.", "Big plans this weekend: I want to {v}.", "This weekend's project: I'll {v}.",
                    "I'm going to {v} this weekend.", "This weekend I want to {v}.", "I plan to {v} on Saturday.", "My weekend plan: {v}.",
                    "Planning to {v} this weekend.", "I'll {v} this weekend, I think.", "The plan for this weekend is to {v}.",
                    "I'm hoping to {v} over the weekend.", "This weekend, I'll finally {v}.", "I've got a plan: on Saturday I'll {v}.",
                    "Come the weekend, I'm going to {v}.", "I intend to {v} this weekend.", "What I'll do this weekend: {v}.",
                    "I've set aside the weekend to {v}.", "My goal for the weekend is to {v}.", "I finally have time this weekend, so I'll {v}.",
                    "Saturday's plan: {v}.", "Guess what? This weekend I'm going to {v}.", "I've been meaning to {v}, so this weekend I will.",
                    "This weekend is reserved: I'm going to {v}.", "I told my friends I'd {v} this weekend.", "My to-do for the weekend: {v}.",
                    "I'm spending the weekend trying to {v}.", "The weekend is almost here, and I want to {v}."),
                List.of("What am I planning to do this weekend?", "What did I say my weekend plan was?",
                    "Remind me, what have I decided to do this weekend?", "Do you remember my plans for the weekend?",
                    "What's my plan for Saturday?", "What's my weekend project?", "What am I going to do this weekend?",
                    "What do I want to do this weekend?", "What are my weekend plans?", "What's on my agenda for the weekend?",
                    "What did I say I'd do this weekend?", "What am I hoping to do over the weekend?", "What do I intend to do this weekend?",
                    "What's my goal for the weekend?", "How am I spending my weekend?", "What have I set aside the weekend for?",
                    "Remind me of my weekend plans.", "What was I planning for Saturday?", "Tell me what I'm doing this weekend.",
                    "Can you recall my weekend plan?", "What did I decide to do on Saturday?", "What am I up to this weekend?",
                    "What's on my to-do list for the weekend?", "What did I tell my friends I'd do this weekend?", "What's Saturday's plan?",
                    "What have I been meaning to do this weekend?", "What's my weekend reserved for?", "What am I spending the weekend on?",
                    "Could you remind me of my plan for the weekend?", "What do I have planned for the weekend?",
                    "Do you know what I'm doing this weekend?"),
                List.of("You're planning to {v}.", "Your plan is to {v}.", "You said you want to {v} this weekend.",
                    "You're going to {v} this weekend.", "You plan to {v}.", "Your weekend plan is to {v}.", "You told me you'll {v} this weekend.",
                    "This weekend you want to {v}."),
                List.of("That sounds fun! Good luck.", "Sounds like a great plan. Anything I can help with?",
                    "Nice, enjoy it! What else is on your mind?", "Have fun! Let me know how it goes.", "Sounds good. Want any tips?",
                    "What a nice way to spend the weekend!")),
            t(List.of("这个周末我打算{v}。", "我周末的计划是{v}。", "我决定这个周末{v}。", "周六我准备{v}。", "这周末的大计划：{v}。",
                    "这个周末我的任务是{v}。", "这周末我要{v}。", "周末我想{v}。", "我计划这个周末{v}。", "这个周末的安排是{v}。", "我打算周末{v}。",
                    "周六的计划：{v}。", "这个周末我想好了，要{v}。", "我这周末准备{v}。", "这个周末我终于要{v}了。",
                    "周末我给自己定了个目标：{v}。", "我已经决定了，周六{v}。", "这周末有空，我打算{v}。", "周末的安排嘛，我要{v}。",
                    "我想利用这个周末{v}。", "这周末我的计划就是{v}。", "这周末终于有空了，我要{v}。", "周六的安排：{v}。",
                    "猜猜看？这个周末我要{v}。", "我早就想{v}了，这周末就做。", "这个周末已经排好了：{v}。", "我跟朋友说好了，周末{v}。",
                    "周末的待办事项：{v}。", "这周末我打算花时间{v}。", "周末快到了，我想{v}。"),
                List.of("我这个周末打算做什么？", "我说我周末的计划是什么？", "提醒我一下，我决定这个周末干什么？", "你还记得我周末的安排吗？",
                    "我周六准备做什么？", "我这周末的任务是什么？", "我这周末要做什么？", "我周末想干什么？", "我这个周末有什么安排？",
                    "我周末的打算是什么？", "我周六的计划是什么？", "我说这周末要干嘛？", "我给自己定的周末目标是什么？",
                    "你记得我这个周末准备做什么吗？", "我打算怎么过这个周末？", "我这周末终于要做什么了？", "我周末有什么计划？",
                    "说说我这个周末的安排。", "我想利用这个周末做什么？", "我决定周六做什么来着？", "这个周末我准备干什么来着？",
                    "提醒我一下周末的计划。", "我周末的待办事项是什么？", "我跟朋友说好周末做什么？", "周六我有什么安排？",
                    "我早就想做、打算这周末做的是什么？", "我这个周末排好了什么事？", "这周末我打算花时间做什么？", "你能提醒我周末的计划吗？",
                    "我周末都安排了什么？", "你知道我这周末要干什么吗？"),
                List.of("你打算{v}。", "你的计划是{v}。", "你说过这个周末要{v}。", "你这周末要{v}。", "你打算周末{v}。", "你周末的安排是{v}。",
                    "你说过要利用周末{v}。", "你周六准备{v}。"),
                List.of("听起来很有意思！祝你顺利。", "好计划！需要我帮忙吗？", "不错，好好享受！还有什么想聊的？", "祝你周末愉快！",
                    "听起来不错，玩得开心！", "好主意！有需要随时找我。")));

    static final Kind DATE = new Kind("date",
            t(List.of("My birthday is on {v}.", "I was born on {v}.", "Mark your calendar: my birthday is {v}.", "{v} is my birthday.",
                    "I celebrate my birthday on {v}.", "Every year on {v} I turn a year older.", "My birthday falls on {v}.",
                    "I was born on {v}, in case you wonder.", "My birthday? It's {v}.", "I turn a year older every {v}.",
                    "Don't forget: my birthday is on {v}.", "You should know my birthday is {v}.", "I'll be celebrating my birthday on {v}.",
                    "My date of birth is {v}.", "{v} is the day I was born.", "Every {v}, I have a birthday party.", "I came into the world on {v}.",
                    "Please remember my birthday, {v}.", "My birthday comes around on {v}.", "Just so you know, I was born on {v}.",
                    "Save the date: {v} is my birthday.", "My birthday is coming up on {v}.", "Write this down: my birthday is {v}.",
                    "I always have cake on {v}, my birthday.", "The date I was born is {v}.", "My special day is {v}.",
                    "If you want to send me a card, my birthday is {v}.", "Each year I celebrate on {v}.", "It's my birthday on {v}.",
                    "Birthday: {v}."),
                List.of("When is my birthday?", "What date is my birthday?", "On what day do I turn a year older?", "Do you remember my birthday?",
                    "When do I celebrate my birthday?", "Which date did I say I was born on?", "When's my birthday?", "What's my date of birth?",
                    "On which day was I born?", "When was I born?", "Do you know when my birthday is?", "Which day is my birthday?",
                    "When do I have my birthday party?", "What day should you wish me a happy birthday?", "When does my birthday fall?",
                    "Remind me of my birthday.", "What day did I come into the world?", "Can you recall the date of my birthday?",
                    "Tell me my birthday.", "My birthday, when is it again?", "What date did I give as my birthday?",
                    "On what date should we celebrate my birthday?", "When is my birthday coming up?", "When do I have cake for my birthday?",
                    "What's the date I was born?", "When is my special day?", "When should you send me a birthday card?",
                    "On which date do I celebrate each year?", "Could you tell me my birthday?", "What day of the year is my birthday?",
                    "When's my special day again?"),
                List.of("Your birthday is on {v}.", "It's {v}.", "You were born on {v}.", "Your birthday is {v}.",
                    "You were born on {v}, as you told me.", "Your date of birth is {v}.", "You celebrate your birthday on {v}.",
                    "You said your birthday is on {v}."),
                List.of("{v}, noted! I'll remember that.", "Thanks for telling me!", "Nice! Anything I can help you with?",
                    "Happy early birthday for {v}!", "I'll remember {v}.", "Lovely! What can I do for you?")),
            t(List.of("我的生日是{v}。", "我出生在{v}。", "记下来：我的生日在{v}。", "{v}是我的生日。", "我每年{v}过生日。",
                    "每年的{v}我就又长一岁。", "我的生日在{v}。", "我是{v}出生的。", "{v}是我出生的日子。", "别忘了，我的生日是{v}。",
                    "我每年都在{v}过生日。", "我的出生日期是{v}。", "告诉你，我是{v}生的。", "我的生日就在{v}。", "{v}那天我过生日。",
                    "请记住我的生日：{v}。", "我的生日是每年的{v}。", "说一下，我生日是{v}。", "到了{v}，我就过生日了。", "我在{v}出生。",
                    "顺便提一句，我的生日是{v}。", "我的生日快到了，是{v}。", "写下来：我的生日是{v}。", "每年{v}我都会吃蛋糕庆祝生日。",
                    "我出生的日期是{v}。", "我的特别日子是{v}。", "想给我寄贺卡的话，我的生日是{v}。", "我每年在{v}庆祝。", "{v}是我的生日哦。",
                    "生日：{v}。"),
                List.of("我的生日是哪天？", "我的生日是几月几号？", "我哪天又长一岁？", "你记得我的生日吗？", "我每年哪天过生日？",
                    "我说我是哪天出生的？", "我是哪天出生的？", "我的出生日期是什么？", "我哪天过生日？", "我的生日在几号？",
                    "你还记得我生日是哪天吗？", "我的生日是几月几日？", "我生日是什么时候？", "我说过我是几月几号生的？", "哪天是我的生日？",
                    "我每年什么时候过生日？", "提醒我一下，我的生日是？", "该在哪天祝我生日快乐？", "我出生在哪一天？", "你知道我的生日吗？",
                    "我告诉过你我生日，是哪天？", "我生日是几号来着？", "我的生日快到了，是哪天？", "我每年哪天吃蛋糕庆祝生日？",
                    "我出生的日期是哪天？", "我的特别日子是哪天？", "该在哪天给我寄生日贺卡？", "我每年在哪天庆祝？", "你能告诉我我的生日吗？",
                    "我的生日是一年中的哪一天？", "我生日在哪天来着？"),
                List.of("你的生日是{v}。", "是{v}。", "你出生在{v}。", "你的生日在{v}。", "你是{v}出生的。", "你每年{v}过生日。",
                    "你的出生日期是{v}。", "你说过你的生日是{v}。"),
                List.of("{v}，记住了！", "谢谢告诉我！", "好的！有什么可以帮你的吗？", "提前祝你{v}生日快乐！", "好的，{v}，我记下了。",
                    "记住了！还有别的事吗？")));

    static final Kind CODE = new Kind("code",
            t(List.of("My booking code is {v}.", "Please remember my booking code: {v}.", "Here's my reservation code: {v}.",
                    "The code for my booking is {v}.", "Note down my booking reference, {v}.", "{v} is the code on my reservation.",
                    "My confirmation number is {v}.", "The booking reference is {v}.", "Can you hold on to this code for me? {v}.",
                    "Save this for me: my booking code is {v}.", "My reservation number is {v}.", "Here is the confirmation code: {v}.",
                    "I got a booking reference: {v}.", "The hotel gave me the code {v}.", "Keep this reference safe: {v}.",
                    "My ticket reference is {v}.", "For my reservation, the code is {v}.", "The confirmation code they sent me is {v}.",
                    "Please note my reference number, {v}.", "My booking ID is {v}.", "I need you to remember a code: {v}.",
                    "Here's my booking number: {v}.", "Jot down this confirmation code: {v}.", "The airline gave me the reference {v}.",
                    "My order number is {v}.", "Please store my reference code, {v}.", "I'm going to need this code later: {v}.",
                    "The code printed on my ticket is {v}.", "My hotel confirmation is {v}.", "For the record, my booking reference is {v}."),
                List.of("What's my booking code?", "Can you tell me my booking reference?", "Which code is on my reservation?",
                    "Do you remember my booking code?", "What was the code for my booking?", "Read me back my reservation code.",
                    "What's my confirmation number?", "What's my booking reference?", "Which reference did I give you?",
                    "What was my reservation number?", "Can you read back my confirmation code?", "What code did the hotel give me?",
                    "What's the reference on my ticket?", "What's my booking ID?", "Do you still have my reference number?",
                    "What code did I ask you to remember?", "Remind me of my booking code.", "Which code did I ask you to hold on to?",
                    "What is the confirmation code for my reservation?", "Tell me my reference, please.", "What was that code I gave you?",
                    "Could you repeat my reservation code?", "What's my booking number?", "Which confirmation code did I ask you to jot down?",
                    "What reference did the airline give me?", "What's my order number?", "What's my reference code?",
                    "I need that code now. What was it?", "What code is printed on my ticket?", "What's my hotel confirmation?",
                    "Could you tell me the code I gave you?"),
                List.of("Your booking code is {v}.", "It's {v}.", "The code you gave me is {v}.", "Your confirmation number is {v}.",
                    "Your booking reference is {v}.", "The code is {v}.", "Your reference is {v}.", "You gave me the code {v}.",
                    "Your reservation code is {v}."),
                List.of("Got it: {v}.", "Noted, I'll keep it in mind.", "Thanks, I've got it. Anything else?", "Saved: {v}.", "I'll remember {v}.",
                    "Okay, code {v} noted.")),
            t(List.of("我的预订码是{v}。", "请记住我的预订码：{v}。", "这是我的预约码：{v}。", "我那个预订的代码是{v}。", "记一下我的订单号，{v}。",
                    "{v}是我预约上的代码。", "我的确认码是{v}。", "我的订单编号是{v}。", "我的预订编号是{v}。", "帮我记一个代码：{v}。",
                    "酒店给我的确认号是{v}。", "这是我的票号：{v}。", "我预订的参考号是{v}。", "记住这个编号：{v}。", "我的预约编号是{v}。",
                    "我的订单号码是{v}。", "请帮我保存这个码：{v}。", "预订成功了，确认码是{v}。", "我的取票码是{v}。", "这个代码很重要：{v}。",
                    "我的预订号是{v}。", "航空公司给我的编号是{v}。", "把这个确认码记下来：{v}。", "我的订单号是{v}。", "请保存我的参考码：{v}。",
                    "这个码我待会儿要用：{v}。", "我票上印的代码是{v}。", "我的酒店确认号是{v}。", "我的预约号是{v}。",
                    "顺便记一下我的预订代码：{v}。"),
                List.of("我的预订码是什么？", "能告诉我我的订单号吗？", "我预约上的代码是什么？", "你还记得我的预订码吗？",
                    "我那个预订的代码是多少？", "把我的预约码念给我听。", "我的确认码是什么？", "我的订单编号是多少？", "我让你记的代码是什么？",
                    "酒店给我的确认号是多少？", "我的票号是什么？", "我预订的参考号是多少？", "我让你记住的编号是哪个？", "我的预约编号是多少？",
                    "我的取票码是什么？", "能把我的确认码再说一遍吗？", "我给你的那个代码是什么？", "我的预订号是多少来着？",
                    "那个很重要的代码是什么？", "提醒我一下我的订单号。", "你还记得我的确认号吗？", "请念一下我的编号。",
                    "航空公司给我的编号是什么？", "我让你记下的确认码是哪个？", "我的订单号是什么？", "我的参考码是多少？",
                    "我待会儿要用的那个码是什么？", "我票上印的代码是什么？", "我的酒店确认号是多少？", "我的预约号是什么？",
                    "能告诉我我给你的代码吗？"),
                List.of("你的预订码是{v}。", "是{v}。", "你给我的代码是{v}。", "你的确认码是{v}。", "你的订单号是{v}。", "你的编号是{v}。",
                    "代码是{v}。", "你的预约码是{v}。"),
                List.of("收到：{v}。", "记下了。", "好的，我记住了。还有别的吗？", "已保存：{v}。", "好的，{v}，记住了。", "明白，代码记下了。")));

    static final Kind ADDRESS = new Kind("address",
            t(List.of("My address is {v}.", "I live at {v}.", "You can send letters to me at {v}.", "Our new place is at {v}.",
                    "I just moved to {v}.", "Home for me is {v}.", "I'm living at {v} now.", "My home address is {v}.", "You can find me at {v}.",
                    "My mailing address is {v}.", "Send any packages to {v}.", "Our house is at {v}.", "We live at {v}.",
                    "My street address is {v}.", "I recently moved to {v}.", "Deliveries should go to {v}.", "If you need my address, it's {v}.",
                    "I reside at {v}.", "My apartment is at {v}.", "Write this down: I live at {v}.", "The address of my place is {v}.",
                    "My place is at {v}.", "Drop by anytime at {v}.", "I've been living at {v} for a while.", "You can reach my house at {v}.",
                    "My postal address is {v}.", "Our family lives at {v}.", "My new address is {v}.", "Mail for me goes to {v}.",
                    "Just so you know, my address is {v}."),
                List.of("What's my address?", "Where do I live?", "Where should letters to me be sent?", "Do you remember my address?",
                    "What address did I give you?", "Which street address is my home?", "What's my home address?", "Where can you find me?",
                    "What's my mailing address?", "Where should packages be sent?", "Where's my house?", "What is my street address?",
                    "Where do I live now?", "Where did I move to?", "Where should deliveries go?", "Where do I reside?", "Where's my apartment?",
                    "Remind me of my address.", "Can you tell me my address?", "Which address did I say is mine?", "Tell me where I live.",
                    "Do you know where I live?", "Where's my place?", "Where can someone drop by to see me?", "Where have I been living?",
                    "What's my postal address?", "Where does my family live?", "What's my new address?", "Where does my mail go?",
                    "Could you remind me where I live?", "Which address is mine?"),
                List.of("Your address is {v}.", "You live at {v}.", "You told me you live at {v}.", "You live at {v}, as you told me.",
                    "Your home address is {v}.", "Your address is {v}, as you said.", "You moved to {v}.", "Your mailing address is {v}."),
                List.of("Thanks, I've noted {v}.", "Got it.", "Noted! How can I help?", "Address saved: {v}.",
                    "Thanks, I'll remember where you live.", "Okay, noted. Anything else?")),
            t(List.of("我的地址是{v}。", "我住在{v}。", "给我寄信就寄到{v}。", "我们的新家在{v}。", "我刚搬到{v}。", "我家就在{v}。",
                    "我现在住在{v}。", "我家的地址是{v}。", "快递请寄到{v}。", "我的收件地址是{v}。", "我们家在{v}。", "我最近搬到了{v}。",
                    "你可以到{v}找我。", "我的住址是{v}。", "我目前住在{v}。", "我的通信地址是{v}。", "我们住在{v}。", "要找我的话，就去{v}。",
                    "我的新住址：{v}。", "包裹寄到{v}就行。", "我搬家了，新地址是{v}。", "我的住处在{v}。", "有空来{v}找我玩。",
                    "我在{v}住了一段时间了。", "我的邮寄地址是{v}。", "我们一家住在{v}。", "我的新地址是{v}。", "寄给我的信都送到{v}。",
                    "顺便说一下，我的地址是{v}。", "我家位于{v}。"),
                List.of("我的地址是什么？", "我住在哪里？", "给我寄信应该寄到哪儿？", "你还记得我的地址吗？", "我给你的地址是什么？",
                    "我家的门牌地址是哪里？", "我现在住在哪？", "我家的地址是什么？", "快递应该寄到哪里？", "我的收件地址是什么？", "我们家在哪？",
                    "我最近搬到哪里了？", "去哪里能找到我？", "我的住址是什么？", "我目前住在什么地方？", "我的通信地址是哪里？",
                    "我的新地址是什么？", "包裹该寄到哪儿？", "我搬到哪儿去了？", "提醒我一下我的地址。", "你知道我住哪儿吗？", "我家住在哪里？",
                    "我的住处在哪？", "有空去哪里找我玩？", "我在哪儿住了一段时间了？", "我的邮寄地址是什么？", "我们一家住在哪里？",
                    "寄给我的信送到哪里？", "你能提醒我我住哪吗？", "我家位于哪里？", "哪个地址是我的？"),
                List.of("你的地址是{v}。", "你住在{v}。", "你说过你住在{v}。", "你住在{v}，你说过的。", "你家的地址是{v}。", "你的住址是{v}。",
                    "你最近搬到了{v}。", "你现在住在{v}。"),
                List.of("好的，记下了{v}。", "收到。", "记住了！有什么可以帮你的？", "地址记下了：{v}。", "收到，我记住你的住址了。",
                    "好的！还有别的吗？")));

    static final List<Kind> KINDS = List.of(NAME, NUMBER, PLACE, PREFERENCE, PLAN, DATE, CODE, ADDRESS, Attributes.KIND);

    /** Openers put before a corrected statement (statement follows). */
    static final Map<Lang, List<String>> CORRECTIONS = Map.of(
            Lang.EN, List.of("Actually, I made a mistake. ", "Sorry, correction: ", "Wait, that's not right. ", "Oops, scratch that. ",
                    "Let me correct myself. ", "Hold on, I got that wrong. ", "Correction: ", "Sorry, I misspoke. "),
            Lang.ZH, List.of("其实", "不好意思，我刚才说错了。", "更正一下：", "等等，说错了。", "我更正一下：", "刚才那个不对。",
                    "抱歉，我记错了。", "纠正一下："));

    /** Name corrections said the natural way ("actually my name is …"). */
    static final Map<Lang, List<String>> NAME_CORRECTIONS = Map.of(
            Lang.EN, List.of("Actually, my name is {v}, not {old}.", "Sorry, I mistyped. My name is actually {v}."),
            Lang.ZH, List.of("其实我叫{v}，不叫{old}。", "不好意思，打错了，我其实叫{v}。"));

    static final Map<Lang, List<String>> CORRECTION_ACKS = Map.of(
            Lang.EN, List.of("Thanks for the correction, noted.", "No problem, I've updated that.", "Got it, I'll use the corrected one.",
                    "Updated, thanks for letting me know.", "Okay, I'll remember the new one."),
            Lang.ZH, List.of("好的，已经更正。", "没关系，我记下新的了。", "明白，以更正后的为准。", "好的，已经改过来了。", "收到，我记住新的了。"));

    static final Map<Lang, List<String>> SYSTEMS = Map.of(
            Lang.EN, List.of("You are a helpful assistant.", "You are a friendly assistant. Answer briefly.", "You are jllm, a helpful assistant."),
            Lang.ZH, List.of("你是一个乐于助人的助手。", "你是一个友好的助手，回答要简洁。", "你是jllm，一个乐于助人的助手。"));

    /**
     * Unrelated turns: user, assistant, user, assistant, ... (no 3- or 4-digit numbers: those are held-out numbers; no preference
     * or plan value: a held-out one must appear nowhere in training).
     */
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
                    "What gas do we breathe out?", "Mostly carbon dioxide, along with nitrogen and some oxygen.",
                    "How many sides does a hexagon have?", "Six.",
                    "What's the chemical symbol for gold?", "Au.",
                    "What's the smallest prime number?", "Two.",
                    "How many hours are in a day?", "Twenty-four.",
                    "What's the tallest mountain in the world?", "Mount Everest.",
                    "What do caterpillars turn into?", "Butterflies or moths.",
                    "Suggest a quick breakfast.", "Oatmeal with fruit, or yogurt with nuts.",
                    "How can I stay focused while studying?", "Work in short blocks with breaks, and put your phone in another room.",
                    "What's the square root of 81?", "It's 9.",
                    "What language is spoken in Brazil?", "Portuguese.",
                    "How many strings does a guitar usually have?", "Six strings.",
                    "Roughly how fast is light?", "About three hundred thousand kilometers per second.",
                    "What's the longest river in Africa?", "The Nile.",
                    "Why do leaves change color in autumn?", "The green chlorophyll breaks down, revealing yellow and red pigments.",
                    "What's an antonym of generous?", "Stingy.",
                    "How often should I water a cactus?", "Rarely: only when the soil is completely dry.",
                    "Tell me a joke.", "Why did the scarecrow win an award? Because he was outstanding in his field.",
                    "What does a thermometer measure?", "Temperature.",
                    "What is the plural of mouse?", "Mice.",
                    "Which planet is called the Red Planet?", "Mars.",
                    "How many colors are in a rainbow?", "Seven.",
                    "In which country is the Great Wall?", "China.",
                    "How long does Earth take to go around the Sun?", "About one year.",
                    "How can I wake up earlier?", "Go to bed earlier and put your alarm clock across the room."),
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
                    "我们呼出的主要是什么气体？", "主要是氮气，还有二氧化碳和氧气。",
                    "六边形有几条边？", "六条。",
                    "金的化学符号是什么？", "Au。",
                    "最小的质数是几？", "2。",
                    "一天有多少小时？", "二十四小时。",
                    "毛毛虫长大会变成什么？", "蝴蝶或者蛾子。",
                    "推荐一个简单的早餐。", "燕麦粥配水果，或者酸奶加坚果。",
                    "学习时怎么集中注意力？", "分段学习，中间休息，把手机放远一点。",
                    "81的平方根是多少？", "9。",
                    "巴西人说什么语言？", "葡萄牙语。",
                    "吉他一般有几根弦？", "六根。",
                    "光速大约是多少？", "每秒约三十万公里。",
                    "非洲最长的河流是哪条？", "尼罗河。",
                    "秋天树叶为什么会变色？", "叶绿素分解后，黄色和红色的色素就显出来了。",
                    "“慷慨”的反义词是什么？", "吝啬。",
                    "日本的首都是哪里？", "东京。",
                    "讲个笑话吧。", "为什么数学书总是很忧郁？因为它有太多的问题。",
                    "温度计是用来测什么的？", "温度。",
                    "哪颗行星被称为红色星球？", "火星。",
                    "一年有多少个月？", "十二个月。",
                    "彩虹有几种颜色？", "七种：红、橙、黄、绿、蓝、靛、紫。",
                    "长城在哪个国家？", "中国。",
                    "地球绕太阳转一圈要多久？", "大约一年。",
                    "怎样才能早起？", "早点睡，把闹钟放在床的另一边。"));

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
