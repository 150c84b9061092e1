package dev.jllm.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Splits text into pre-tokens ("words") with a list of regexes, each refining the pieces left by
 * the previous one. Within a piece every match becomes a pre-token and so does every stretch
 * between matches: nothing is dropped (llama.cpp's {@code unicode_regex_split}, HF's Split with
 * behavior "Isolated").
 *
 * <p>Example (GPT-2 pattern): {@code split("Hello, y'all!  ok")} gives
 * {@code ["Hello", ",", " y", "'", "all", "!", " ", " ok"]}: the first of the two spaces stays alone
 * because {@code \s+(?!\S)} leaves the last space to join the following word.
 *
 * <p>Patterns are written in the Perl/Oniguruma dialect of tokenizer files and translated for
 * {@link java.util.regex}: {@code \s}/{@code \S} become the Unicode White_Space property (Java's
 * {@code \s} is ASCII only, whereas llama.cpp, Rust regex and Oniguruma treat NBSP, U+3000 ... as
 * space) and an unescaped {@code $} outside a class becomes {@code \z} (Java's {@code $} would also
 * match before a final line terminator). {@code \p{L}}, {@code \p{N}}, {@code (?i:...)}, lookahead
 * and possessive quantifiers mean the same in Java.
 */
public final class PreTokenizer {
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** jllm's CJK-aware variant of {@link #QWEN2} (see {@link TrainingPreTokenizer#CJK}). */
    static final String CJK = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[\\p{Han}\\p{Hiragana}\\p{Katakana}\\p{Hangul}]+"
            + "|[^\\r\\n\\p{L}\\p{N}]?(?:(?![\\p{Han}\\p{Hiragana}\\p{Katakana}\\p{Hangul}])\\p{L})+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String GPT2_NO_TAIL = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

    private final String name;
    private final List<String> sources;
    private final List<Pattern> patterns;
    private final FastSplit.Kind fast;

    /**
     * @param name    shown in errors and {@link #toString()}
     * @param regexes patterns in tokenizer-file dialect, applied in order
     */
    public PreTokenizer(String name, List<String> regexes) {
        this.name = name;
        this.sources = List.copyOf(regexes);
        List<Pattern> ps = new ArrayList<>();
        for (String r : sources) {
            try {
                ps.add(Pattern.compile(translate(r)));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("pre-tokenizer '" + name + "': regex " + r + " does not compile: " + e.getDescription());
            }
        }
        this.patterns = List.copyOf(ps);
        this.fast = sources.size() == 1 ? FastSplit.forRegex(sources.getFirst()) : null;
    }

    /** The pre-tokenizer llama.cpp uses for a GGUF {@code tokenizer.ggml.pre} value (null or empty → "default"). */
    public static PreTokenizer forGgufPre(String pre) throws TokenizerFormatException {
        String p = pre == null || pre.isEmpty() ? "default" : pre;
        List<String> r = switch (p) {
            case "default" -> List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2_NO_TAIL, "\\p{N}+", "[0-9][0-9][0-9]");
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "jina-v1-en",
                 "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "a.x-4.0", "mellum", "modern-bert", "trillion" -> List.of(GPT2_NO_TAIL);
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "dbrx", "smaug-bpe",
                 "chatglm-bpe", "glm4" -> List.of(LLAMA3);
            case "jllm-cjk" -> List.of(CJK);
            case "qwen2", "deepseek-r1-qwen", "stablelm2", "hunyuan", "kormo", "grok-2" -> List.of(QWEN2);
            case "deepseek-llm" -> List.of("[\r\n]",
                    "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+",
                    "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+", "\\s+$", "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}+");
            case "deepseek-coder" -> List.of("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}");
            case "deepseek-v3" -> List.of("\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+");
            case "falcon" -> List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2_NO_TAIL, "[0-9][0-9][0-9]");
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva" -> List.of("\\p{N}", GPT2_NO_TAIL);
            case "poro-chat", "bloom", "gpt3-finnish" -> List.of(" ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+");
            default -> throw new TokenizerFormatException("tokenizer.ggml.pre '" + p + "' is not a known pre-tokenizer (known: default, gpt-2, "
                    + "llama3/llama-bpe, qwen2, deepseek-llm, deepseek-coder, deepseek-v3, falcon, starcoder, refact, mpt, command-r, "
                    + "olmo, dbrx, smaug-bpe, stablelm2, poro-chat, bloom, ...)");
        };
        return new PreTokenizer(p, r);
    }

    public String name() {
        return name;
    }

    public List<String> regexes() {
        return sources;
    }

    /** Splits text into pre-tokens; concatenating them gives the text back. */
    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        split(text, (s, e) -> out.add(text.substring(s, e)));
        return out;
    }

    /**
     * Splits text into pre-tokens given as [start, end) ranges, without allocating them: through a
     * hand-written scanner ({@link FastSplit}) when the regex is one it knows, else the regexes.
     */
    void split(String text, FastSplit.Sink sink) {
        if (text.isEmpty()) return;
        if (fast != null) {
            FastSplit.split(fast, text, 0, text.length(), sink);
            return;
        }
        splitRegex(text, sink);
    }

    /** Whether {@link #split} runs a hand-written scanner. */
    boolean isFast() {
        return fast != null;
    }

    /** The reference: always the regexes (tests compare the scanners with it). */
    void splitRegex(String text, FastSplit.Sink sink) {
        if (text.isEmpty()) return;
        int[] bounds = {0, text.length()};
        int n = 2;
        for (Pattern p : patterns) {
            int[] next = new int[Math.max(16, n * 2)];
            int m = 0;
            Matcher mt = p.matcher(text);
            for (int k = 0; k + 1 < n; k += 2) {
                int start = bounds[k];
                int end = bounds[k + 1];
                int pos = start;
                mt.region(start, end);
                while (mt.find()) {
                    if (mt.start() > pos) next = add(next, m++, pos, mt.start());
                    if (mt.end() > mt.start()) next = add(next, m++, mt.start(), mt.end());
                    pos = mt.end();
                }
                if (pos < end) next = add(next, m++, pos, end);
            }
            bounds = next;
            n = m * 2;
        }
        for (int k = 0; k + 1 < n; k += 2) sink.piece(bounds[k], bounds[k + 1]);
    }

    private static int[] add(int[] b, int idx, int start, int end) {
        if (2 * idx + 1 >= b.length) b = java.util.Arrays.copyOf(b, b.length * 2);
        b[2 * idx] = start;
        b[2 * idx + 1] = end;
        return b;
    }

    /** Rewrites a tokenizer-file regex into java.util.regex syntax with the same meaning (see class doc). */
    static String translate(String re) {
        StringBuilder sb = new StringBuilder(re.length() + 32);
        int depth = 0; // inside [...]
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length()) {
                char d = re.charAt(++i);
                if ((d == 'p' || d == 'P') && i + 1 < re.length() && re.charAt(i + 1) == '{' && re.indexOf('}', i) > 0) {
                    int close = re.indexOf('}', i);
                    String prop = re.substring(i + 2, close);
                    sb.append(c).append(d).append('{').append(isScriptName(prop) ? "Is" + prop : prop).append('}');
                    i = close;
                    continue;
                }
                if (d == 's') sb.append("\\p{IsWhite_Space}");
                else if (d == 'S') sb.append(depth > 0 ? "\\P{IsWhite_Space}" : "[^\\p{IsWhite_Space}]");
                else sb.append(c).append(d);
                continue;
            }
            if (c == '[') depth++;
            else if (c == ']' && depth > 0) depth--;
            else if (c == '$' && depth == 0) {
                sb.append("\\z");
                continue;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    // Oniguruma and Rust regex name scripts bare (\p{Han}); java.util.regex wants \p{IsHan}.
    private static boolean isScriptName(String prop) {
        if (prop.length() <= 2 || prop.startsWith("Is") || prop.startsWith("In") || prop.contains("=")) return false;
        try {
            Character.UnicodeScript.forName(prop);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "PreTokenizer[" + name + ", " + sources.size() + " regexes]";
    }
}
