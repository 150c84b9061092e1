package dev.jllm.cli;

import dev.jllm.gguf.GgufWriter;
import dev.jllm.tokenizer.BpeTrainer;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.tokenizer.Tokenizers;
import dev.jllm.tokenizer.TrainedBpe;
import dev.jllm.tokenizer.TrainingPreTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code jllm tokenizer encode|decode|stats|train}: look at how a vocabulary splits text, measure
 * it on a corpus, and train a new one.
 *
 * <p>Input files are read as UTF-8; invalid byte sequences become U+FFFD (never an error), the same
 * policy as the tokenizers' own decoding.
 */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Encode, decode, measure and train tokenizers (GGUF, tokenizer.json, tiktoken, llama2.c tokenizer.bin).",
        subcommands = {TokenizerCommand.Encode.class, TokenizerCommand.Decode.class, TokenizerCommand.Stats.class, TokenizerCommand.Train.class})
final class TokenizerCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final String TOKENIZER_HELP = "a .gguf model, tokenizer.json, .tiktoken rank file, llama2.c tokenizer.bin, a directory "
            + "with tokenizer.json or vocab.json+merges.txt, or a name (cl100k_base, o200k_base, qwen3, gpt2) looked up in "
            + "$JLLM_TOKENIZERS and the repository's testdata/tokenizers";

    /** Loads a tokenizer from a path ({@link Tokenizers#open}: every form it accepts) or a well-known name. */
    static Tokenizer load(String spec) throws IOException {
        Path p = Path.of(spec);
        if (Files.exists(p)) return Tokenizers.open(p);
        if (!spec.contains("/") && !spec.contains("\\")) {
            List<Path> tried = new ArrayList<>();
            for (Path root : searchRoots()) {
                for (Path c : List.of(root.resolve("tiktoken").resolve(spec + ".tiktoken"), root.resolve(spec + ".tiktoken"),
                        root.resolve("hf-" + spec), root.resolve(spec))) {
                    tried.add(c);
                    if (Files.exists(c)) return Tokenizers.open(c);
                }
            }
            throw new NoSuchFileException(spec, null, "no such file, and no tokenizer of that name in "
                    + (tried.isEmpty() ? "(no $JLLM_TOKENIZERS, no testdata/tokenizers found)" : searchRoots()));
        }
        return Tokenizers.open(p); // no such path: its error lists the accepted forms
    }

    private static List<Path> searchRoots() {
        List<Path> roots = new ArrayList<>();
        String env = System.getenv("JLLM_TOKENIZERS");
        if (env != null && Files.isDirectory(Path.of(env))) roots.add(Path.of(env));
        String prop = System.getProperty("jllm.testdata");
        if (prop != null && Files.isDirectory(Path.of(prop, "tokenizers"))) roots.add(Path.of(prop, "tokenizers"));
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("testdata/tokenizers"))) {
                roots.add(d.resolve("testdata/tokenizers"));
                break;
            }
        }
        return roots;
    }

    /** Reads a file as UTF-8, invalid bytes becoming U+FFFD. */
    static String readText(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    }

    static final class Input {
        @Option(names = "--text", paramLabel = "T", description = "the text") String text;
        @Option(names = "--file", paramLabel = "F", description = "read the text from a file (UTF-8; invalid bytes become U+FFFD)") Path file;

        String read() throws IOException {
            return text != null ? text : readText(file);
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true,
            description = {"Print the token ids of a text as one JSON array on one line.",
                "With --show: one token per line (id, its text, the vocabulary piece) to see how the text is split."})
    static final class Encode implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--tokenizer", required = true, paramLabel = "T", description = TOKENIZER_HELP) String tokenizer;
        @ArgGroup(multiplicity = "1") Input input;
        @Option(names = "--show", description = "print the pieces, one per token, instead of the array") boolean show;
        @Option(names = "--special", description = "recognise special-token text such as <|endoftext|> (off: it is plain text)") boolean special;
        @Option(names = "--bos", description = "add the BOS/EOS tokens the vocabulary asks for") boolean bos;

        @Override
        public Integer call() throws IOException {
            Tokenizer t = load(tokenizer);
            String text = input.read();
            int[] ids = t.encode(text, bos, special);
            PrintWriter out = spec.commandLine().getOut();
            if (!show) {
                StringBuilder sb = new StringBuilder(ids.length * 6 + 2).append('[');
                for (int i = 0; i < ids.length; i++) sb.append(i == 0 ? "" : ",").append(ids[i]);
                out.println(sb.append(']'));
            } else {
                int w = String.valueOf(Math.max(1, t.vocabSize() - 1)).length();
                for (int id : ids) out.printf(Locale.ROOT, "%" + w + "d  %-16s %s%n", id, render(t.tokenBytes(id)), t.piece(id));
                out.printf(Locale.ROOT, "# %d tokens for %d characters (%d UTF-8 bytes)%n", ids.length,
                        text.codePointCount(0, text.length()), text.getBytes(StandardCharsets.UTF_8).length);
            }
            out.flush();
            return 0;
        }
    }

    /**
     * A token's bytes as a quoted string: whole UTF-8 characters as themselves (control characters
     * escaped), bytes that are only part of a character as {@code \xE5}, so "年" split in two
     * tokens shows as {@code "\xe5\xb9"} and {@code "\xb4"}.
     */
    static String render(byte[] b) {
        StringBuilder sb = new StringBuilder("\"");
        int i = 0;
        while (i < b.length) {
            int n = utf8Length(b, i);
            if (n > 0) {
                String s = strictDecode(b, i, n);
                if (s != null) {
                    for (char c : s.toCharArray()) {
                        switch (c) {
                            case '\n' -> sb.append("\\n");
                            case '\r' -> sb.append("\\r");
                            case '\t' -> sb.append("\\t");
                            case '"' -> sb.append("\\\"");
                            case '\\' -> sb.append("\\\\");
                            default -> {
                                if (c < 0x20 || c == 0x7f) sb.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
                                else sb.append(c);
                            }
                        }
                    }
                    i += n;
                    continue;
                }
            }
            sb.append(String.format(Locale.ROOT, "\\x%02x", b[i] & 0xff));
            i++;
        }
        return sb.append('"').toString();
    }

    private static int utf8Length(byte[] b, int i) {
        int c = b[i] & 0xff;
        int n = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
        return i + n <= b.length ? n : 0;
    }

    private static String strictDecode(byte[] b, int from, int n) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, from, n)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true, description = "Print the text of token ids (special tokens shown unless --skip-special).")
    static final class Decode implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--tokenizer", required = true, paramLabel = "T", description = TOKENIZER_HELP) String tokenizer;
        @Option(names = "--ids", paramLabel = "JSON", description = "the ids as a JSON array, e.g. '[9707, 1879]'") String json;
        @Parameters(paramLabel = "IDS", arity = "0..*", description = "the ids, e.g. 9707 1879") List<String> ids = new ArrayList<>();
        @Option(names = "--skip-special", description = "leave control tokens such as <|endoftext|> out") boolean skipSpecial;

        @Override
        public Integer call() throws IOException {
            List<String> parts = new ArrayList<>(ids);
            if (json != null) {
                String s = json.strip();
                if (!s.startsWith("[") || !s.endsWith("]")) throw new IllegalArgumentException("--ids should be a JSON array such as [1,2,3], got " + json);
                for (String p : s.substring(1, s.length() - 1).split(",")) if (!p.isBlank()) parts.add(p.strip());
            }
            if (parts.isEmpty()) throw new IllegalArgumentException("no ids given: pass them as arguments or with --ids '[1,2,3]'");
            Tokenizer t = load(tokenizer);
            int[] v = new int[parts.size()];
            for (int i = 0; i < v.length; i++) {
                try {
                    v[i] = Integer.parseInt(parts.get(i));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + parts.get(i) + "' is not a token id");
                }
                if (v[i] < 0 || v[i] >= t.vocabSize()) {
                    throw new IllegalArgumentException("token id " + v[i] + " is outside the vocabulary [0, " + t.vocabSize() + ")");
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(t.decode(v, !skipSpecial));
            out.flush();
            return 0;
        }
    }

    /** Script classes of {@code stats}. */
    enum Script {
        HAN, LATIN, DIGITS, OTHER;

        static Script of(int cp) {
            if (cp >= '0' && cp <= '9' || Character.isDigit(cp)) return DIGITS;
            Character.UnicodeScript s = Character.UnicodeScript.of(cp);
            if (s == Character.UnicodeScript.HAN) return HAN;
            if (s == Character.UnicodeScript.LATIN) return LATIN;
            return OTHER;
        }

        String label() {
            return this == HAN ? "Han" : this == LATIN ? "Latin" : this == DIGITS ? "digits" : "other";
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = {"Tokens per character and per byte on a corpus, per script (Han, Latin, digits, other).",
                "A token spanning several scripts counts fractionally, by its bytes."})
    static final class Stats implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--tokenizer", required = true, paramLabel = "T", description = TOKENIZER_HELP) String tokenizer;
        @Option(names = "--file", required = true, arity = "1..*", paramLabel = "F", description = "corpus files (UTF-8)") List<Path> files;

        @Override
        public Integer call() throws IOException {
            Tokenizer t = load(tokenizer);
            int n = Script.values().length;
            long[] chars = new long[n];
            long[] bytes = new long[n];
            double[] tokens = new double[n];
            long totalTokens = 0;
            boolean attributed = true;
            long t0 = System.nanoTime();
            for (Path f : files) {
                String text = readText(f);
                byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
                byte[] cls = new byte[utf8.length];
                for (int i = 0, b = 0; i < text.length(); ) {
                    int cp = text.codePointAt(i);
                    Script s = Script.of(cp);
                    int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
                    for (int k = 0; k < len; k++) cls[b + k] = (byte) s.ordinal();
                    chars[s.ordinal()]++;
                    bytes[s.ordinal()] += len;
                    b += len;
                    i += Character.charCount(cp);
                }
                int[] ids = t.encode(text);
                totalTokens += ids.length;
                attributed &= attribute(t, ids, utf8, cls, tokens);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long allChars = 0, allBytes = 0;
            for (int i = 0; i < n; i++) {
                allChars += chars[i];
                allBytes += bytes[i];
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "tokenizer  %s (%s tokens)%n", tokenizer, Units.grouped(t.vocabSize()));
            out.printf(Locale.ROOT, "corpus     %d file(s), %s characters, %s bytes%n", files.size(), Units.grouped(allChars), Units.grouped(allBytes));
            out.printf(Locale.ROOT, "%-8s %12s %12s %14s %12s %12s%n", "script", "chars", "bytes", "tokens", "tokens/char", "tokens/byte");
            if (attributed) {
                for (Script s : Script.values()) {
                    int i = s.ordinal();
                    if (chars[i] == 0) continue;
                    out.printf(Locale.ROOT, "%-8s %12s %12s %14.1f %12.4f %12.4f%n", s.label(), Units.grouped(chars[i]), Units.grouped(bytes[i]),
                            tokens[i], tokens[i] / chars[i], tokens[i] / bytes[i]);
                }
            } else {
                out.println("(per-script split unavailable: this tokenizer normalizes the text, so tokens do not map back to input bytes)");
            }
            out.printf(Locale.ROOT, "%-8s %12s %12s %14s %12.4f %12.4f%n", "total", Units.grouped(allChars), Units.grouped(allBytes),
                    Units.grouped(totalTokens), totalTokens / (double) Math.max(1, allChars), totalTokens / (double) Math.max(1, allBytes));
            out.printf(Locale.ROOT, "time       %.2f s (%.1f MB/s)%n", secs, allBytes / 1e6 / Math.max(secs, 1e-9));
            out.flush();
            return 0;
        }

        /**
         * Spreads each token over the scripts of the input bytes it stands for (1/k per byte of a
         * k-byte token). Works when the tokens' bytes are the input (byte-level BPE) or the input
         * after one leading space (SentencePiece's space prefix); false otherwise.
         */
        private static boolean attribute(Tokenizer t, int[] ids, byte[] utf8, byte[] cls, double[] tokens) {
            long sum = 0;
            for (int id : ids) if (!t.tokenType(id).isSpecial()) sum += t.tokenBytes(id).length;
            long skip = sum - utf8.length;
            if (skip != 0 && skip != 1) return false;
            double[] local = new double[tokens.length];
            long pos = -skip;
            for (int id : ids) {
                if (t.tokenType(id).isSpecial()) continue;
                byte[] b = t.tokenBytes(id);
                for (int k = 0; k < b.length; k++, pos++) {
                    if (pos < 0) continue;
                    if (utf8[(int) pos] != b[k]) return false;
                    local[cls[(int) pos]] += 1.0 / b.length;
                }
            }
            for (int i = 0; i < tokens.length; i++) tokens[i] += local[i];
            return true;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Train a byte-level BPE vocabulary and write it as an HF tokenizer.json (optionally also a vocab-only GGUF).",
                "Pre-tokenizers: gpt2, llama3, qwen2, cjk (qwen2 with Han/kana/Hangul runs kept apart from Latin, digits and marks)."})
    static final class Train implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILES", description = "training text files (UTF-8), JSONL files (one document per line, e.g. jllm clean's output; also .gz) or directories of them") List<Path> input;
        @Option(names = "--text-field", defaultValue = "text", paramLabel = "NAME", description = "JSONL field with the text (default: ${DEFAULT-VALUE}; chat records are read from their messages, one \"role\\ncontent\" per message)") String textField;
        @Option(names = "--vocab-size", required = true, paramLabel = "N", description = "tokens in total: special + 256 bytes + merges") int vocabSize;
        @Option(names = "--special", paramLabel = "TOKEN", description = "a special token, never merged across (repeatable), e.g. \"<|endoftext|>\"") List<String> special = new ArrayList<>();
        @Option(names = "--pretokenizer", paramLabel = "NAME", defaultValue = "gpt2", description = "gpt2, llama3, qwen2 or cjk (default: ${DEFAULT-VALUE})") String pretokenizer;
        @Option(names = "--threads", paramLabel = "N", description = "word-counting threads (default: all cores)") Integer threads;
        @Option(names = "--out", required = true, paramLabel = "tokenizer.json", description = "where to write the tokenizer.json") Path out;
        @Option(names = "--gguf-out", paramLabel = "FILE.gguf", description = "also write a vocab-only GGUF with the tokenizer.ggml.* keys") Path ggufOut;

        @Override
        public Integer call() throws IOException {
            TrainingPreTokenizer pre = TrainingPreTokenizer.byName(pretokenizer);
            int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            BpeTrainer.Options options = new BpeTrainer.Options(vocabSize, special, pre, n);
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) pool.resetPeakUsage();
            PrintWriter err = spec.commandLine().getErr();
            List<Path> files = CorpusDocuments.expand(input);
            long total = 0;
            for (Path f : files) total += Files.size(f);
            long t0 = System.nanoTime();
            Progress[] bars = new Progress[2];
            long[] seen = new long[2];
            int wanted = vocabSize - special.size() - 256;
            TrainedBpe trained;
            try {
                long totalBytes = total;
                BpeTrainer.Progress progress = new BpeTrainer.Progress() {
                    @Override
                    public void counting(long done, long all) {
                        if (bars[0] == null) bars[0] = new Progress(err, "counting words", totalBytes, true);
                        bars[0].add(done - seen[0]);
                        seen[0] = done;
                    }

                    @Override
                    public void merging(int done, int all) {
                        if (bars[1] == null) {
                            if (bars[0] != null) bars[0].close();
                            bars[1] = new Progress(err, "merging", wanted, false);
                        }
                        bars[1].add(done - seen[1]);
                        seen[1] = done;
                    }
                };
                if (files.stream().noneMatch(CorpusDocuments::isJsonl)) {
                    trained = BpeTrainer.trainFiles(files, options, progress);
                } else {
                    // JSONL: every line's text is its own document (nothing merged across lines)
                    List<String> texts = new ArrayList<>();
                    for (Path f : files) texts.addAll(CorpusDocuments.read(f, textField, null));
                    trained = BpeTrainer.train(texts, options, progress);
                }
            } finally {
                for (Progress b : bars) if (b != null) b.close();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            trained.writeTokenizerJson(out);
            if (ggufOut != null) new GgufWriter().putAll(trained.toGgufMetadata()).write(ggufOut);
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) peak += pool.getPeakUsage().getUsed();
            }
            TrainedBpe.Stats st = trained.stats();
            double mergeSecs = st.mergeNanos() / 1e9;
            PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "wrote %s: %s tokens (%d special + 256 bytes + %s merges), pre-tokenizer %s%n", out,
                    Units.grouped(trained.vocabSize()), special.size(), Units.grouped(trained.mergeCount()), pre.cliName());
            if (trained.mergeCount() < wanted) o.printf(Locale.ROOT, "note: stopped after %d merges: no adjacent pair is left in the corpus%n", trained.mergeCount());
            if (ggufOut != null) o.printf(Locale.ROOT, "wrote %s (tokenizer.ggml.model gpt2, pre %s)%n", ggufOut, pre.ggufPre());
            o.printf(Locale.ROOT, "corpus   %s bytes, %s distinct words, %d file(s)%n", Units.grouped(st.corpusBytes()), Units.grouped(st.uniqueWords()), files.size());
            o.printf(Locale.ROOT, "time     %.2f s total (%.2f s counting on %d threads, %.2f s merging)%n", secs, secs - mergeSecs, n, mergeSecs);
            o.printf(Locale.ROOT, "speed    %.2f MB/s of corpus, %.0f merges/s%n", st.corpusBytes() / 1e6 / Math.max(secs, 1e-9),
                    trained.mergeCount() / Math.max(mergeSecs, 1e-9));
            o.printf(Locale.ROOT, "memory   %s peak heap%n", Units.bytes(peak));
            o.flush();
            return 0;
        }
    }
}
