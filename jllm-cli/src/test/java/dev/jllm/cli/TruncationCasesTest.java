package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.server.ChatServer;
import dev.jllm.server.http.ApiKeys;
import dev.jllm.testkit.TestData;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * One truncation policy: {@code jllm chat} and the server (chat completions, truncation "auto")
 * replay the same dialogues (testdata/chat/truncation-cases.json) that outgrow the context. At every
 * turn both drop the same number of oldest messages (the CLI drops them from its history for good,
 * the server from the full history it is sent), refuse the same too-long message, and — built from
 * the same prompt by the same decode loop — give the same greedy reply.
 */
class TruncationCasesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern TURN = Pattern.compile("\\[(\\d+) prompt tokens");
    @TempDir Path dir;

    @Test
    void jllmChatAndTheServerTruncateTheSameCasesAlike() throws Exception {
        JsonNode cases = JSON.readTree(TestData.path("chat/truncation-cases.json").toFile()).get("cases");
        Path model = TestData.path("models/stories260K.gguf");
        ChatServer.Options o = ChatServer.Options.defaults(model, dir, ApiKeys.disabled()).withPort(0).withResources(1, 1L << 20);
        int truncatedTurns = 0, refusedTurns = 0;
        try (ChatServer server = ChatServer.start(o)) {
            HttpClient http = HttpClient.newHttpClient();
            for (JsonNode c : cases) {
                String name = c.get("name").asText();
                String system = c.get("system").isNull() ? null : c.get("system").asText();
                int n = c.get("max_tokens").asInt();
                List<String> turns = new ArrayList<>();
                c.get("turns").forEach(t -> turns.add(t.asText()));
                // jllm chat: one line per turn
                ChatCommand cmd = new ChatCommand();
                cmd.input = new ByteArrayInputStream((String.join("\n", turns) + "\n/exit\n").getBytes(StandardCharsets.UTF_8));
                StringWriter out = new StringWriter(), err = new StringWriter();
                CommandLine cl = new CommandLine(cmd);
                cl.setOut(new PrintWriter(out, true));
                cl.setErr(new PrintWriter(err, true));
                List<String> args = new ArrayList<>(List.of("-m", model.toString(), "--temp", "0", "-n", Integer.toString(n), "-t", "1"));
                if (system != null) args.addAll(List.of("--system", system));
                assertEquals(0, cl.execute(args.toArray(String[]::new)), err.toString());
                String[] replies = out.toString().split("> ", -1); // replies[0] is empty; one per answered turn
                // the CLI's stderr, one block per turn: optional notes, then "[... prompt tokens ...]" for an answered turn
                List<String> notes = new ArrayList<>();
                StringBuilder pending = new StringBuilder();
                for (String line : err.toString().split("\n")) {
                    if (line.startsWith("chat with")) continue;
                    pending.append(line).append('\n');
                    if (TURN.matcher(line).find() || line.startsWith("(this model's maximum context")) {
                        notes.add(pending.toString());
                        pending.setLength(0);
                    }
                }
                assertEquals(turns.size(), notes.size(), name + ": one outcome per turn in\n" + err);
                // the server: the full history each time (system, every kept turn, the CLI's replies)
                List<String[]> history = new ArrayList<>();
                int cliDropped = 0;
                for (int k = 0; k < turns.size(); k++) {
                    String note = notes.get(k);
                    ArrayNode msgs = JSON.createArrayNode();
                    if (system != null) msgs.addObject().put("role", "system").put("content", system);
                    for (String[] m : history) msgs.addObject().put("role", m[0]).put("content", m[1]);
                    msgs.addObject().put("role", "user").put("content", turns.get(k));
                    ObjectNode body = JSON.createObjectNode().put("model", "stories260K").put("temperature", 0).put("max_tokens", n)
                            .put("truncation", "auto");
                    body.set("messages", msgs);
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.uri() + "/v1/chat/completions"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    String where = name + ", turn " + (k + 1);
                    if (note.startsWith("(this model's maximum context")) {
                        assertEquals(400, r.statusCode(), where + ": the server refuses it too: " + r.body());
                        assertEquals("context_length_exceeded", JSON.readTree(r.body()).get("error").get("code").asText(), where);
                        refusedTurns++;
                        continue;
                    }
                    assertEquals(200, r.statusCode(), where + ": " + r.body());
                    Matcher dm = Pattern.compile("\\(dropped the (\\d+) oldest").matcher(note);
                    if (dm.find()) {
                        cliDropped += Integer.parseInt(dm.group(1));
                        truncatedTurns++;
                    }
                    int serverDropped = Integer.parseInt(r.headers().firstValue("x-jllm-truncated-messages").orElse("0"));
                    assertEquals(cliDropped, serverDropped, where + ": the same oldest messages dropped (CLI stderr:\n" + note + ")");
                    String printed = replies[k + 1];
                    String reply = printed.substring(0, printed.length() - 1); // the CLI ends each reply with one newline
                    assertEquals(reply, JSON.readTree(r.body()).get("choices").get(0).get("message").get("content").asText(), where);
                    history.add(new String[] {"user", turns.get(k)});
                    history.add(new String[] {"assistant", reply});
                }
            }
        }
        assertTrue(truncatedTurns >= 2, "the cases exercise truncation: " + truncatedTurns + " truncated turns");
        assertEquals(1, refusedTurns, "the too-long message is refused once");
    }
}
