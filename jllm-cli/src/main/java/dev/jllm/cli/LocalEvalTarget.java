package dev.jllm.cli;

import dev.jllm.chat.ChatMessage;
import dev.jllm.chat.ChatTemplate;
import dev.jllm.chat.PromptBuilder;
import dev.jllm.engine.Generator;
import dev.jllm.engine.LoadedModel;
import dev.jllm.eval.task.EvalTarget;
import dev.jllm.model.LogLikelihood;
import dev.jllm.model.SamplingParams;
import dev.jllm.model.Transformer;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A local model as {@code jllm eval run}'s target, on the paths the other commands use: generation is
 * {@link Generator} (jllm generate's decode loop; with {@code --chat}, the prompt goes through the
 * model's chat template as one user message, as jllm chat does), log-likelihood is
 * {@link LogLikelihood} (the perplexity path: one forward pass, log-softmax in double) and perplexity is
 * {@link dev.jllm.model.Perplexity} (jllm perplexity). Tokens follow lm-evaluation-harness: BOS first; a context's
 * trailing whitespace moves to the continuation, and the continuation's tokens are those of
 * context+continuation after the context's own tokens ({@code _encode_pair}).
 */
final class LocalEvalTarget implements EvalTarget {
    private final LoadedModel m;
    private final Path model;
    private final List<Path> adapters;
    private final float loraScale;
    private final GgmlType cacheType;
    private final Transformer tr;
    private final boolean chat;
    private final PromptBuilder chatPrompts;
    private final String sha256;
    private final List<String> adapterSha256 = new ArrayList<>();

    LocalEvalTarget(Path model, Path tokenizer, List<Path> adapters, float loraScale, int threads, GgmlType cacheType, boolean chat) throws IOException {
        this.model = model;
        this.adapters = List.copyOf(adapters);
        this.loraScale = loraScale;
        this.cacheType = cacheType;
        this.chat = chat;
        this.sha256 = sha256(model);
        for (Path a : adapters) adapterSha256.add(sha256(a));
        this.m = LoadedModel.open(model, tokenizer, threads, adapters, loraScale);
        try {
            this.tr = m.transformer(cacheType, 0);
            if (chat) {
                ChatTemplate t = m.file.gguf() != null ? ChatTemplate.fromGguf(m.file.gguf()) : ChatTemplate.fallback();
                // no context limit here: generate() cuts an over-long prompt from the left, as for raw prompts
                this.chatPrompts = new PromptBuilder(m.tokenizer, t::render, Integer.MAX_VALUE);
            } else {
                this.chatPrompts = null;
            }
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("kind", "local");
        d.put("model", model.toString());
        d.put("model_sha256", sha256);
        List<Map<String, Object>> ad = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("file", adapters.get(i).toString());
            a.put("sha256", adapterSha256.get(i));
            a.put("scale", (double) loraScale);
            ad.add(a);
        }
        d.put("adapters", ad);
        d.put("prompt_format", chat ? "chat template (one user message)" : "raw text with BOS");
        d.put("cache_type", cacheType.name());
        return d;
    }

    @Override
    public String label() {
        StringBuilder s = new StringBuilder(model.getFileName() + " (sha256 " + sha256.substring(0, 12) + "…)");
        for (Path a : adapters) s.append(" + LoRA ").append(a.getFileName());
        return s.toString();
    }

    @Override
    public boolean scoresLogLikelihood() {
        return true;
    }

    @Override
    public String generate(String prompt, Sampling s) {
        int ctx = m.config().contextLength();
        if (s.maxTokens() >= ctx) throw new IllegalArgumentException("max_tokens " + s.maxTokens() + " leaves no room for a prompt in the model's context of " + ctx);
        int[] ids = chat ? chatPrompts.build(List.of(ChatMessage.user(prompt)), "prompt", PromptBuilder.Truncation.DISABLED).tokens()
                : m.tokenizer.encode(prompt, true, false);
        if (ids.length > ctx - s.maxTokens()) {
            // lm-evaluation-harness's generate_until: keep the prompt's last (max_length - max_gen_toks) tokens
            ids = Arrays.copyOfRange(ids, ids.length - (ctx - s.maxTokens()), ids.length);
        }
        SamplingParams sp = new SamplingParams((float) s.temperature(), 40, 0.95f, 0.05f, 1f, 0f, 0f, 64, Map.of(), s.seed(), s.maxTokens(),
                s.stop(), false);
        return new Generator(tr, m.tokenizer).generate(ids, sp, null).text();
    }

    @Override
    public Continuation logLikelihood(String context, String continuation) {
        int n = context.length() - context.stripTrailing().length();
        if (n > 0) { // _encode_pair: "Answer: " + "B" is scored as "Answer:" + " B"
            continuation = context.substring(context.length() - n) + continuation;
            context = context.substring(0, context.length() - n);
        }
        int[] whole = m.tokenizer.encode(context + continuation, true, false);
        int[] ctxIds = m.tokenizer.encode(context, true, false);
        if (ctxIds.length >= whole.length) {
            throw new IllegalArgumentException("the continuation '" + continuation + "' adds no token after its context");
        }
        int[] cont = Arrays.copyOfRange(whole, ctxIds.length, whole.length);
        LogLikelihood.Result r = LogLikelihood.of(tr, ctxIds, cont);
        return new Continuation(r.sum(), r.greedy(), cont.length, r.truncated());
    }

    @Override
    public EvalTarget.Perplexity perplexity(String text, int ctx) {
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1); // as jllm perplexity (llama.cpp's -f reader)
        int[] tokens = m.tokenizer.encode(text, true, false);
        dev.jllm.model.Perplexity.Result r = dev.jllm.model.Perplexity.compute(m.transformer(cacheType, ctx), tokens, ctx, m.tokenizer.chunkBos(), null);
        // each chunk scores the same count of tokens; the running PPL gives each chunk's NLL sum back
        int perChunk = (int) (r.scored() / r.chunks());
        double[] nll = new double[r.chunks()];
        double prev = 0;
        for (int c = 0; c < nll.length; c++) {
            double cum = Math.log(r.runningPpl()[c]) * (double) (c + 1) * perChunk;
            nll[c] = cum - prev;
            prev = cum;
        }
        return new EvalTarget.Perplexity(r.ppl(), nll, perChunk, tokens.length);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        }
    }

    @Override
    public void close() {
        m.close();
    }
}
