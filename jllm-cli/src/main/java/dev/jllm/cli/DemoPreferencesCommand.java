package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.sft.synth.PreferenceGenerator;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm demo preferences}: seeded synthetic preference pairs whose chosen answer is more cheerful (a learnable, visible property). */
@Command(name = "preferences", mixinStandardHelpOptions = true,
        description = {"Write synthetic preference pairs: three-sentence answers about a story character, the chosen one with more cheerful",
            "words (happy, kind, …) than the rejected one; 'margin' = how many more (1–3). For jllm dpo / rm / ppo tests and docs."})
final class DemoPreferencesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--count", defaultValue = "1000") int count;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--format", defaultValue = "trl", description = "trl ({\"prompt\",\"chosen\",\"rejected\",\"margin\"} JSONL) | llamafactory (conversations + chosen + rejected, JSONL)") String format;
    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl") Path out;

    @Override
    public Integer call() throws Exception {
        if (!List.of("trl", "llamafactory").contains(format)) throw new IllegalArgumentException("--format must be trl or llamafactory");
        ObjectMapper json = new ObjectMapper();
        List<PreferenceGenerator.Pair> pairs = PreferenceGenerator.generate(count, seed);
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            for (PreferenceGenerator.Pair p : pairs) {
                ObjectNode n = json.createObjectNode();
                if (format.equals("trl")) {
                    n.put("prompt", p.prompt()).put("chosen", p.chosen()).put("rejected", p.rejected());
                } else {
                    n.putArray("conversations").addObject().put("from", "human").put("value", p.prompt());
                    n.putObject("chosen").put("from", "gpt").put("value", p.chosen());
                    n.putObject("rejected").put("from", "gpt").put("value", p.rejected());
                }
                n.put("margin", p.margin());
                w.write(json.writeValueAsString(n));
                w.newLine();
            }
        }
        PrintWriter o = spec.commandLine().getOut();
        o.println("wrote " + pairs.size() + " pairs to " + out);
        o.flush();
        return 0;
    }
}
