package dev.jllm.cli;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.chat.ChatTemplateException;
import dev.jllm.model.Generator;
import dev.jllm.model.SamplingParams;
import dev.jllm.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm chat}: a multi-turn chat in the terminal with the model's own chat template. The
 * conversation keeps one KV sequence, so each turn prefills only what is new (the user message and
 * the template's glue), like the server does for stored conversations.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model in the terminal (its chat template; /reset, /exit). Timings go to stderr.")
final class ChatCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true) Path model;
    @Option(names = "--system", description = "system message") String system;
    @Option(names = {"-n", "--n-predict"}, defaultValue = "512", description = "max tokens per reply (default ${DEFAULT-VALUE})") int n;
    @Option(names = "--temp", defaultValue = "0.8") float temp;
    @Option(names = "--top-k", defaultValue = "40") int topK;
    @Option(names = "--top-p", defaultValue = "0.95") float topP;
    @Option(names = "--min-p", defaultValue = "0.05") float minP;
    @Option(names = "--seed") Long seed;
    @Option(names = {"-t", "--threads"}) Integer threads;
    @Option(names = "--cache-type", defaultValue = "f16") String cacheType;

    /** Where user lines come from (stdin; tests substitute their own). */
    java.io.InputStream input = System.in;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        long s = seed != null ? seed : new java.security.SecureRandom().nextLong() & Long.MAX_VALUE;
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        try (LoadedModel m = new LoadedModel(model, null, th, cacheType, 0)) {
            ChatTemplate template = m.file.gguf() != null ? ChatTemplate.fromGguf(m.file.gguf()) : ChatTemplate.fallback();
            Tokenizer tok = m.tokenizer;
            Generator gen = new Generator(m.transformer, tok);
            int ctx = m.file.config().contextLength();
            List<ChatMessage> history = new ArrayList<>();
            if (system != null) history.add(ChatMessage.system(system));
            int seq = m.transformer.cache().allocate();
            int[] cachedTokens = new int[0];
            err.printf("chat with %s (context %d tokens, %s template). /reset clears, /exit quits.%n", model.getFileName(), ctx,
                    m.file.hasChatTemplate() ? "its" : "fallback ChatML");
            err.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
            int turn = 0;
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) break;
                if (line.isBlank()) continue;
                if (line.strip().equals("/reset")) {
                    history.removeIf(msg -> !msg.role().equals("system"));
                    m.transformer.cache().truncate(seq, 0);
                    cachedTokens = new int[0];
                    err.println("(conversation cleared)");
                    continue;
                }
                history.add(ChatMessage.user(line));
                int[] prompt;
                int dropped = 0;
                while (true) {
                    prompt = encode(template, tok, history);
                    if (prompt.length + Math.min(n, ctx / 4) < ctx || history.size() <= 2) break;
                    int first = history.get(0).role().equals("system") ? 1 : 0; // drop the oldest turn, keep the system message
                    history.remove(first);
                    if (history.size() > first && !history.get(first).role().equals("user")) history.remove(first);
                    dropped++;
                }
                if (prompt.length >= ctx) {
                    err.printf("(the message is too long: %d tokens, the context is %d)%n", prompt.length, ctx);
                    history.removeLast();
                    continue;
                }
                if (dropped > 0) err.printf("(dropped the %d oldest turn(s) to fit the %d-token context)%n", dropped, ctx);
                int reuse = commonPrefix(cachedTokens, prompt);
                reuse = Math.min(reuse, Math.min(m.transformer.cache().length(seq), prompt.length - 1));
                SamplingParams sp = new SamplingParams(temp, topK, topP, minP, 1f, 0f, 0f, 64, Map.of(), s + turn++, n, List.of(), false);
                Generator.Result r = gen.continueSequence(seq, prompt, reuse, sp, text -> {
                    out.print(text);
                    out.flush();
                });
                out.println();
                out.flush();
                history.add(ChatMessage.assistant(r.text()));
                int[] all = java.util.Arrays.copyOf(prompt, prompt.length + r.tokens().length);
                System.arraycopy(r.tokens(), 0, all, prompt.length, r.tokens().length);
                cachedTokens = all;
                err.printf(Locale.ROOT, "[%d prompt tokens, %d reused from the cache, %d prefilled in %.2f s · %d generated at %.1f tok/s · %s]%n",
                        prompt.length, reuse, prompt.length - reuse, r.prefillSeconds(), r.tokens().length, r.decodeTokensPerSecond(),
                        r.finish().name().toLowerCase(Locale.ROOT));
                err.flush();
            }
        } catch (ChatTemplateException e) {
            throw new IllegalArgumentException("chat template: " + e.getMessage());
        }
        return 0;
    }

    /** The rendered conversation as tokens; BOS added only if the template did not write it. */
    private static int[] encode(ChatTemplate template, Tokenizer tok, List<ChatMessage> history) {
        String text = template.render(history, true);
        boolean templateHasBos = template.bosToken() != null && !template.bosToken().isEmpty() && text.startsWith(template.bosToken());
        return tok.encode(text, !templateHasBos, true);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) i++;
        return i;
    }
}
