package dev.jllm.cli;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.chat.ChatTemplateException;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.chat.PromptException;
import dev.jllm.engine.Generator;
import dev.jllm.engine.LoadedModel;
import dev.jllm.model.KvCacheManager;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
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
 * the template's glue), like the server does for stored conversations. Prompts come from the same
 * {@link PromptBuilder} as the server's (control-token guard, truncation policy: the oldest turns
 * are dropped to keep {@code -n} tokens, at most half the context, free for the reply; token splice
 * of the previous turn), and replies from the same decode loop ({@link Generator}).
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model in the terminal (its chat template; /reset, /exit). Timings go to stderr.")
final class ChatCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, description = "GGUF model (default: the bundled " + BundledModel.PATH + ")") Path model;
    @Option(names = "--system", description = "system message") String system;
    @Option(names = {"-n", "--n-predict"}, defaultValue = "512", description = "max tokens per reply (default ${DEFAULT-VALUE})") int n;
    @Option(names = "--temp", defaultValue = "0.8") float temp;
    @Option(names = "--top-k", defaultValue = "40") int topK;
    @Option(names = "--top-p", defaultValue = "0.95") float topP;
    @Option(names = "--min-p", defaultValue = "0.05") float minP;
    @Option(names = "--seed") Long seed;
    @Option(names = {"-t", "--threads"}) Integer threads;
    @Option(names = "--cache-type", paramLabel = "f16|f32", defaultValue = "f16",
            description = "KV cache element type (default: ${DEFAULT-VALUE})") String cacheType;
    @Option(names = "--lora", paramLabel = "ADAPTER.gguf", description = "a LoRA adapter (GGUF, as jllm finetune and llama.cpp write it) merged into the weights; repeatable")
    List<Path> lora = new java.util.ArrayList<>();
    @Option(names = "--lora-scale", defaultValue = "1", description = "strength of the adapters (llama.cpp's --lora-scaled; default ${DEFAULT-VALUE})") float loraScale;

    /** Where user lines come from (stdin; tests substitute their own). */
    java.io.InputStream input = System.in;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        long s = seed != null ? seed : new java.security.SecureRandom().nextLong() & Long.MAX_VALUE;
        int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (model == null) model = BundledModel.path();
        try (LoadedModel m = LoadedModel.open(model, null, th, lora, loraScale)) {
            ChatTemplate template = m.file.gguf() != null ? ChatTemplate.fromGguf(m.file.gguf()) : ChatTemplate.fallback();
            Transformer tr = m.transformer(LoadedModel.cacheType(cacheType), 0);
            Generator gen = new Generator(tr, m.tokenizer);
            int ctx = m.config().contextLength();
            PromptBuilder prompts = new PromptBuilder(m.tokenizer, template::render, ctx);
            PromptBuilder.Truncation fit = new PromptBuilder.Truncation(true, n);
            List<ChatMessage> history = new ArrayList<>();
            if (system != null) history.add(ChatMessage.system(system));
            KvCacheManager kv = tr.cache();
            int seq = kv.allocate();
            int[] sequence = null; // what the model saw and said so far (the KV holds all of it but the last token)
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
                    kv.truncate(seq, 0);
                    sequence = null;
                    err.println("(conversation cleared)");
                    continue;
                }
                history.add(ChatMessage.user(line));
                PromptBuilder.Prompt p;
                try {
                    p = prompts.build(history, "conversation", fit, sequence);
                } catch (PromptException e) {
                    err.println("(" + e.getMessage() + ")");
                    history.removeLast();
                    continue;
                }
                if (p.droppedMessages() > 0) {
                    err.printf("(dropped the %d oldest message(s) to fit the %d-token context)%n", p.droppedMessages(), ctx);
                    history.subList(history.get(0).role().equals("system") ? 1 : 0, (history.get(0).role().equals("system") ? 1 : 0)
                            + p.droppedMessages()).clear();
                }
                int[] prompt = p.tokens();
                int reuse = sequence == null ? 0 : Math.min(commonPrefix(sequence, prompt), Math.min(kv.length(seq), prompt.length - 1));
                SamplingParams sp = new SamplingParams(temp, topK, topP, minP, 1f, 0f, 0f, 64, Map.of(), s + turn++, n, List.of(), false);
                Generator.Result r = gen.continueSequence(seq, prompt, reuse, sp, text -> {
                    out.print(text);
                    out.flush();
                });
                out.println();
                out.flush();
                history.add(ChatMessage.assistant(r.text()));
                sequence = r.sequence();
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

    private static int commonPrefix(int[] a, int[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) i++;
        return i;
    }
}
