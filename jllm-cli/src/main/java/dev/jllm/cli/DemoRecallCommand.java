package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.eval.OpenAiTarget;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm demo recall}: plays held-out memory dialogues against an OpenAI-compatible server at
 * temperature 0 and scores whether the final answer contains the fact.
 *
 * <p><b>Stateless</b> resends the growing history to {@code /v1/chat/completions} (or, with {@code --stateless-api responses},
 * to {@code /v1/responses} as {@code input} with store off); the dialogue's own
 * assistant turns are replaced by the server's answers to the earlier turns. That is what a client
 * of the model really sends, and it is exactly the history a stateful conversation stores (the
 * server's own answers), so at temperature 0 the two modes see the same prompt and must agree; the
 * dataset's answers would instead test the model on text it did not write. <b>Stateful</b> creates a
 * conversation ({@code POST /v1/conversations}) and sends each user turn to {@code /v1/responses}
 * with it (a system message goes as {@code instructions} on every turn). Conversations are left on
 * the server (their ids are in the JSON report) unless {@code --delete-conversations}.
 *
 * <p>Scoring: English answers are compared case-folded with whitespace collapsed, Chinese ones as an
 * exact substring. Recall is reported per language and per number of distractor turns with a 95%
 * Wilson interval.
 */
@Command(name = "recall", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Memory recall of a chat server on held-out dialogues (from `jllm demo dialogues --split heldout`): each dialogue's",
            "user turns are sent at temperature 0, statelessly (chat completions, history with the server's own answers resent) and/or",
            "statefully (a conversation + responses); the final answer must contain the expected fact. Prints recall per language and",
            "per number of distractors with 95%% Wilson intervals, and how often both modes gave the same final answer."})
final class DemoRecallCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec CommandSpec spec;

    @Option(names = "--url", required = true, description = "server base URL, e.g. http://127.0.0.1:8080") URI url;
    @Option(names = "--model", description = "model id (default: the first one the server lists)") String model;
    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl", description = "dialogues with meta.answer") Path data;
    @Option(names = "--mode", defaultValue = "both", paramLabel = "stateless|stateful|both", description = "(default ${DEFAULT-VALUE})") String mode;
    @Option(names = "--stateless-api", defaultValue = "chat", paramLabel = "chat|responses",
            description = "where stateless mode resends the history: chat (/v1/chat/completions, default) or responses"
                    + " (/v1/responses with the whole history as 'input', store off)") String statelessApi;
    @Option(names = "--limit", paramLabel = "N", description = "the first N dialogues only") Integer limit;
    @Option(names = "--max-tokens", defaultValue = "64", paramLabel = "N", description = "per answer (default ${DEFAULT-VALUE})") int maxTokens;
    @Option(names = "--truncation", defaultValue = "disabled", paramLabel = "disabled|auto",
            description = "sent as the requests' truncation: disabled (default) makes a dialogue longer than the context an error;"
                    + " auto lets the server drop the oldest turns (the fact may go with them)") String truncation;
    @Option(names = "--api-key", description = "bearer token (default: $OPENAI_API_KEY if set)") String apiKey;
    @Option(names = "--request-timeout", defaultValue = "300", paramLabel = "S", description = "seconds per request (default ${DEFAULT-VALUE})")
    int requestTimeout;
    @Option(names = "--delete-conversations", description = "delete each stateful conversation once scored") boolean deleteConversations;
    @Option(names = "--json", paramLabel = "FILE", description = "report: settings, recall tables, every dialogue's answers") Path json;

    /** One held-out dialogue as the check needs it. */
    record Item(String id, String lang, String type, int distractors, boolean correction, String answer, String system, List<String> users) {}

    /** What one mode produced for one dialogue; {@code error} is the server's refusal of it (scored wrong), else null. */
    record Outcome(String answer, boolean correct, String conversation, String error) {}

    @Override
    public Integer call() throws Exception {
        boolean stateless = mode.equals("stateless") || mode.equals("both"), stateful = mode.equals("stateful") || mode.equals("both");
        if (!stateless && !stateful) throw new IllegalArgumentException("--mode must be stateless, stateful or both, got '" + mode + "'");
        if (!statelessApi.equals("chat") && !statelessApi.equals("responses")) {
            throw new IllegalArgumentException("--stateless-api must be chat or responses, got '" + statelessApi + "'");
        }
        if (limit != null && limit < 1) throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
        if (!truncation.equals("disabled") && !truncation.equals("auto")) {
            throw new IllegalArgumentException("--truncation must be disabled or auto, got '" + truncation + "'");
        }
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        List<Item> items = read(data, limit);
        if (items.isEmpty()) throw new IOException(data + ": no dialogues");
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        String key = apiKey != null ? apiKey : System.getenv("OPENAI_API_KEY");
        try (OpenAiTarget api = new OpenAiTarget(url, key, Duration.ofSeconds(requestTimeout))) {
            String m = model != null ? model : api.models().getFirst();
            List<Outcome> sl = new ArrayList<>(), sf = new ArrayList<>();
            long t0 = System.nanoTime();
            boolean anyServed = false;
            for (int i = 0; i < items.size(); i++) {
                Item it = items.get(i);
                // a refused dialogue (e.g. longer than the context) is scored wrong and reported; a refusal before
                // anything succeeded (wrong model, bad URL path) and any connection failure stop the run
                if (stateless) sl.add(guard(() -> runStateless(api, m, it), anyServed));
                if (stateful) sf.add(guard(() -> runStateful(api, m, it), anyServed));
                anyServed |= stateless && sl.getLast().error() == null || stateful && sf.getLast().error() == null;
                if ((i + 1) % 25 == 0 || i + 1 == items.size()) {
                    err.printf("recall: %d/%d dialogues (%.0f s)%n", i + 1, items.size(), (System.nanoTime() - t0) / 1e9);
                    err.flush();
                }
            }
            ObjectNode report = report(m, items, stateless ? sl : null, stateful ? sf : null);
            print(out, m, items, report);
            if (json != null) {
                Path abs = json.toAbsolutePath();
                if (abs.getParent() != null) Files.createDirectories(abs.getParent());
                JSON.writeValue(abs.toFile(), report);
            }
        }
        return 0;
    }

    interface Call {
        Outcome run() throws IOException;
    }

    private static Outcome guard(Call c, boolean anyServed) throws IOException {
        try {
            return c.run();
        } catch (OpenAiTarget.StatusException e) {
            if (!anyServed) throw e;
            return new Outcome(null, false, null, e.getMessage());
        }
    }

    // ---- the two ways of holding a conversation ----

    /**
     * The growing history resent each turn: as chat completions' {@code messages} (the system prompt first), or as a
     * Responses {@code input} with store off (the system prompt as {@code instructions}, as in stateful mode).
     */
    private Outcome runStateless(OpenAiTarget api, String m, Item it) throws IOException {
        boolean chat = statelessApi.equals("chat");
        ArrayNode history = JSON.createArrayNode();
        if (chat && it.system() != null) history.addObject().put("role", "system").put("content", it.system());
        String answer = "";
        for (String u : it.users()) {
            history.addObject().put("role", "user").put("content", u);
            ObjectNode body = JSON.createObjectNode().put("model", m).put("temperature", 0).put(chat ? "max_tokens" : "max_output_tokens", maxTokens)
                    .put("stream", false);
            body.set(chat ? "messages" : "input", history.deepCopy());
            if (!chat) {
                body.put("store", false);
                if (it.system() != null) body.put("instructions", it.system());
            }
            if (truncation.equals("auto")) body.put("truncation", "auto");
            if (chat) {
                JsonNode c = api.postJson("v1/chat/completions", body).path("choices").path(0).path("message").path("content");
                if (!c.isTextual()) throw new IOException(api.base() + "v1/chat/completions: the response has no choices[0].message.content");
                answer = c.asText();
            } else {
                answer = outputText(api.postJson("v1/responses", body));
            }
            history.addObject().put("role", "assistant").put("content", answer);
        }
        return new Outcome(answer, contains(answer, it.answer(), it.lang()), null, null);
    }

    private Outcome runStateful(OpenAiTarget api, String m, Item it) throws IOException {
        String conv = api.postJson("v1/conversations", JSON.createObjectNode()).path("id").asText("");
        if (conv.isEmpty()) throw new IOException(api.base() + "v1/conversations: the response has no conversation id");
        String answer = "";
        for (String u : it.users()) {
            ObjectNode body = JSON.createObjectNode().put("model", m).put("conversation", conv).put("input", u).put("temperature", 0)
                    .put("max_output_tokens", maxTokens).put("stream", false);
            if (it.system() != null) body.put("instructions", it.system());
            if (truncation.equals("auto")) body.put("truncation", "auto");
            answer = outputText(api.postJson("v1/responses", body));
        }
        if (deleteConversations) api.delete("v1/conversations/" + conv);
        return new Outcome(answer, contains(answer, it.answer(), it.lang()), conv, null);
    }

    /** The text of a Responses API result: every output_text part of its message items, in order. */
    static String outputText(JsonNode r) throws IOException {
        JsonNode text = r.get("output_text");
        if (text != null && text.isTextual()) return text.asText();
        StringBuilder sb = new StringBuilder();
        boolean found = false;
        for (JsonNode item : r.path("output")) {
            for (JsonNode part : item.path("content")) {
                if ("output_text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
                    sb.append(part.get("text").asText());
                    found = true;
                }
            }
        }
        if (!found && !r.path("output").isArray()) throw new IOException("v1/responses: the response has no output");
        return sb.toString();
    }

    // ---- scoring ----

    /** English: case-folded, whitespace collapsed; Chinese: exact substring. */
    static boolean contains(String answer, String expected, String lang) {
        if (lang.equals("zh")) return answer.contains(expected);
        return fold(answer).contains(fold(expected));
    }

    static String fold(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
    }

    /** The 95% Wilson score interval of k successes in n. */
    static double[] wilson(int k, int n) {
        if (n == 0) return new double[] {0, 1};
        double z = 1.959963984540054, p = (double) k / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }

    private static ObjectNode cell(int k, int n) {
        ObjectNode c = JSON.createObjectNode().put("correct", k).put("total", n).put("recall", n == 0 ? 0 : (double) k / n);
        double[] w = wilson(k, n);
        c.putArray("ci95").add(w[0]).add(w[1]);
        return c;
    }

    private static ObjectNode table(List<Item> items, List<Outcome> outcomes) {
        ObjectNode t = JSON.createObjectNode();
        int k = 0, errors = 0;
        String firstError = null;
        for (Outcome o : outcomes) {
            if (o.correct()) k++;
            if (o.error() != null && errors++ == 0) firstError = o.error();
        }
        t.set("all", cell(k, outcomes.size()));
        t.put("errors", errors);
        if (firstError != null) t.put("first_error", firstError);
        t.set("by_lang", groups(items, outcomes, Item::lang));
        t.set("by_distractors", groups(items, outcomes, it -> Integer.toString(it.distractors())));
        t.set("by_type", groups(items, outcomes, Item::type));
        return t;
    }

    private static ObjectNode groups(List<Item> items, List<Outcome> outcomes, Function<Item, String> key) {
        Map<String, int[]> g = new java.util.TreeMap<>();
        for (int i = 0; i < items.size(); i++) {
            int[] kn = g.computeIfAbsent(key.apply(items.get(i)), x -> new int[2]);
            if (outcomes.get(i).correct()) kn[0]++;
            kn[1]++;
        }
        ObjectNode o = JSON.createObjectNode();
        g.forEach((name, kn) -> o.set(name, cell(kn[0], kn[1])));
        return o;
    }

    private ObjectNode report(String m, List<Item> items, List<Outcome> sl, List<Outcome> sf) {
        ObjectNode r = JSON.createObjectNode();
        r.put("url", url.toString()).put("model", m).put("data", data.toString()).put("mode", mode).put("stateless_api", statelessApi).put("temperature", 0)
                .put("max_tokens", maxTokens).put("truncation", truncation).put("dialogues", items.size());
        r.put("scoring", "the final answer contains meta.answer: en case-folded with whitespace collapsed, zh exact substring");
        if (sl != null) r.set("stateless", table(items, sl));
        if (sf != null) r.set("stateful", table(items, sf));
        if (sl != null && sf != null) {
            int same = 0, sameScore = 0;
            for (int i = 0; i < items.size(); i++) {
                if (sl.get(i).answer() != null && sl.get(i).answer().equals(sf.get(i).answer())) same++;
                if (sl.get(i).correct() == sf.get(i).correct()) sameScore++;
            }
            ObjectNode a = cell(same, items.size());
            a.put("same_score", sameScore);
            r.set("agreement", a);
        }
        ArrayNode rs = r.putArray("results");
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            ObjectNode o = rs.addObject().put("id", it.id()).put("lang", it.lang()).put("type", it.type()).put("distractors", it.distractors())
                    .put("correction", it.correction()).put("turns", it.users().size()).put("expected", it.answer());
            if (sl != null) outcome(o.putObject("stateless"), sl.get(i));
            if (sf != null) outcome(o.putObject("stateful"), sf.get(i)).put("conversation", sf.get(i).conversation());
        }
        return r;
    }

    private static ObjectNode outcome(ObjectNode o, Outcome x) {
        o.put("answer", x.answer()).put("correct", x.correct());
        if (x.error() != null) o.put("error", x.error());
        return o;
    }

    private void print(PrintWriter out, String m, List<Item> items, ObjectNode r) {
        out.printf("recall on %d held-out dialogues from %s (model %s at %s, temperature 0, at most %d tokens per answer)%n", items.size(), data, m,
                url, maxTokens);
        List<String> modes = new ArrayList<>();
        if (r.has("stateless")) modes.add("stateless");
        if (r.has("stateful")) modes.add("stateful");
        StringBuilder head = new StringBuilder(String.format("%-16s", ""));
        for (String md : modes) head.append(String.format("  %-30s", md + " (95% CI)"));
        out.println(head.toString().stripTrailing());
        row(out, "all", modes, r, n -> n.get("all"));
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) () -> r.get(modes.getFirst()).get("by_lang").fields()) {
            row(out, "lang " + e.getKey(), modes, r, n -> n.get("by_lang").get(e.getKey()));
        }
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) () -> r.get(modes.getFirst()).get("by_distractors").fields()) {
            row(out, e.getKey() + " distractor" + (e.getKey().equals("1") ? "" : "s"), modes, r, n -> n.get("by_distractors").get(e.getKey()));
        }
        for (String md : modes) {
            JsonNode t = r.get(md);
            if (t.get("errors").asInt() > 0) {
                out.printf("%s: %d dialogue(s) refused by the server, scored wrong; first: %s%n", md, t.get("errors").asInt(), t.get("first_error").asText());
            }
        }
        if (r.has("agreement")) {
            JsonNode a = r.get("agreement");
            out.printf("stateless = stateful (same final answer): %s; same score: %d/%d%n", format(a), a.get("same_score").asInt(), items.size());
        }
        out.flush();
    }

    private static void row(PrintWriter out, String label, List<String> modes, ObjectNode r, Function<JsonNode, JsonNode> pick) {
        StringBuilder sb = new StringBuilder(String.format("%-16s", label));
        for (String md : modes) sb.append(String.format("  %-30s", format(pick.apply(r.get(md)))));
        out.println(sb.toString().stripTrailing());
    }

    private static String format(JsonNode c) {
        return String.format(Locale.ROOT, "%d/%d %5.1f%% [%.1f, %.1f]", c.get("correct").asInt(), c.get("total").asInt(), 100 * c.get("recall").asDouble(),
                100 * c.get("ci95").get(0).asDouble(), 100 * c.get("ci95").get(1).asDouble());
    }

    // ---- data ----

    /** The dialogues of a JSONL file: user turns, optional leading system message, meta.answer/lang/distractors. */
    static List<Item> read(Path file, Integer limit) throws IOException {
        List<Item> out = new ArrayList<>();
        ObjectMapper plain = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            for (String line; (line = r.readLine()) != null && (limit == null || out.size() < limit); ) {
                lineNo++;
                if (line.isBlank()) continue;
                String where = file + ":" + lineNo;
                JsonNode rec;
                try {
                    rec = plain.readTree(line);
                } catch (IOException e) {
                    throw new IOException(where + ": invalid JSON (expected one dialogue per line)");
                }
                JsonNode meta = rec.path("meta");
                if (!meta.path("answer").isTextual() || meta.path("answer").asText().isEmpty()) {
                    throw new IOException(where + ": no meta.answer (make held-out dialogues with `jllm demo dialogues --split heldout`)");
                }
                String system = null;
                List<String> users = new ArrayList<>();
                for (JsonNode msg : rec.path("messages")) {
                    String role = msg.path("role").asText(), content = msg.path("content").asText();
                    if (role.equals("system") && users.isEmpty()) system = content;
                    else if (role.equals("user")) users.add(content);
                }
                if (users.isEmpty()) throw new IOException(where + ": no user message");
                String lang = meta.path("lang").asText("en");
                out.add(new Item(meta.path("id").asText("line-" + lineNo), lang, meta.path("type").asText("?"), meta.path("distractors").asInt(0),
                        meta.path("correction").asBoolean(false), meta.get("answer").asText(), system, users));
            }
        }
        return out;
    }
}
