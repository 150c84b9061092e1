package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.sft.Conversation;
import dev.jllm.sft.PreferenceEncoder;
import dev.jllm.sft.SftReader;
import dev.jllm.sft.SftRenderer;
import dev.jllm.tensor.Parallel;
import dev.jllm.train.pref.RewardModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm rm score}: one JSON line per record — {@code {"index", "chosen", "rejected"}} for
 * preference records, {@code {"index", "score"}} for chat records (messages, Alpaca, ShareGPT: the last
 * assistant answer is scored in its context).
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Score answers with a reward model: preference records give chosen/rejected scores, chat records (ending with an",
            "assistant answer) one score; JSON lines on stdout."})
final class RmScoreCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--model", required = true, paramLabel = "RM.gguf") Path model;
    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl") Path data;
    @Option(names = "--seq", description = "longest prompt + answer (default: the model's context, at most 256)") Integer seq;
    @Option(names = "--batch", defaultValue = "16") int batch;
    @Option(names = {"-t", "--threads"}) Integer threads;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        ObjectMapper json = new ObjectMapper();
        PrefData d = PrefData.forModel(model, null);
        boolean preference;
        List<int[]> seqs = new ArrayList<>();
        List<Integer> prompts = new ArrayList<>();
        try {
            d.read(data, dev.jllm.sft.Format.AUTO, false, d.seq(seq), 0, 0, null);
            preference = true;
            for (var p : d.pairs) {
                seqs.add(p.chosen());
                prompts.add(p.chosenPrompt());
                seqs.add(p.rejected());
                prompts.add(p.rejectedPrompt());
            }
        } catch (dev.jllm.sft.SftException e) {
            if (!e.getMessage().contains("'chosen' and 'rejected'")) throw e;
            preference = false;
            PreferenceEncoder enc = new PreferenceEncoder(new SftRenderer(d.template, d.tokenizer, SftRenderer.TrainOn.LAST), d.seq(seq));
            for (Conversation c : SftReader.read(data, SftReader.Options.DEFAULT).conversations()) {
                PreferenceEncoder.Encoded e2 = enc.encode(c);
                seqs.add(e2.tokens());
                prompts.add(e2.prompt());
            }
        }
        double[] s;
        try (Parallel pool = new Parallel(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            s = RewardModel.load(model, pool).score(seqs, prompts.stream().mapToInt(Integer::intValue).toArray(), batch);
        }
        int per = preference ? 2 : 1;
        for (int i = 0; i < s.length / per; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("index", i);
            if (preference) {
                row.put("chosen", s[2 * i]);
                row.put("rejected", s[2 * i + 1]);
            } else {
                row.put("score", s[i]);
            }
            o.println(json.writeValueAsString(row));
        }
        o.flush();
        return 0;
    }
}
