package dev.jllm.cli;

import dev.jllm.chat.ChatTemplate;
import dev.jllm.model.ModelFile;
import dev.jllm.sft.Format;
import dev.jllm.sft.PreferenceEncoder;
import dev.jllm.sft.PreferenceReader;
import dev.jllm.sft.PreferenceRecord;
import dev.jllm.sft.SftReader;
import dev.jllm.sft.SftRenderer;
import dev.jllm.tokenizer.GgufTokenizerLoader;
import dev.jllm.tokenizer.Tokenizer;
import dev.jllm.train.pref.PreferencePair;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Preference data for {@code jllm dpo} and {@code jllm rm}: the model's tokenizer and chat template
 * (ChatML when it has none), the records of a file, each encoded into a {@link PreferencePair}, and a
 * seeded held-out split of whole records.
 */
final class PrefData {
    final Tokenizer tokenizer;
    final ChatTemplate template;
    final Path model;
    final int context;       // the model's context length: no row may be longer
    final List<PreferenceRecord> records = new ArrayList<>();
    final List<PreferencePair> pairs = new ArrayList<>();
    final List<PreferencePair> train = new ArrayList<>(), val = new ArrayList<>();
    int truncated;

    private PrefData(Tokenizer tokenizer, ChatTemplate template, Path model, int context) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.model = model;
        this.context = context;
    }

    /**
     * The longest prompt + answer: {@code seq} when given (at most the model's context), else the context up to 256 —
     * so a default never asks for rows the model cannot take (stories260K's context is 128).
     */
    int seq(Integer seq) {
        if (seq == null) return Math.min(256, context);
        if (seq > context) throw new IllegalArgumentException("--seq " + seq + " exceeds the context length " + context + " of " + model + "; give --seq " + context + " or less");
        return seq;
    }

    /** The tokenizer and template of {@code model}. */
    static PrefData forModel(Path model, PrintWriter o) throws IOException {
        try (ModelFile f = ModelFile.open(model)) {
            if (f.gguf() == null) throw new IllegalArgumentException(model + " is not a GGUF model (preference tuning needs its vocabulary and chat template)");
            Tokenizer tok = GgufTokenizerLoader.load(f.gguf());
            boolean has = f.hasChatTemplate();
            if (!has && o != null) o.println("note: " + model.getFileName() + " has no chat template; the data is rendered as ChatML (the fallback)");
            return new PrefData(tok, has ? ChatTemplate.fromGguf(f.gguf()) : ChatTemplate.fallback(), model, f.config().contextLength());
        }
    }

    /** Reads and encodes {@code data}; {@code valFraction} of the records (seeded shuffle) are held out. */
    PrefData read(Path data, Format format, boolean skipBad, int seq, double valFraction, long seed, PrintWriter o) throws IOException {
        PreferenceReader.Result r = PreferenceReader.read(data, new SftReader.Options(format, null, skipBad));
        PreferenceEncoder enc = new PreferenceEncoder(new SftRenderer(template, tokenizer, SftRenderer.TrainOn.LAST), seq);
        for (PreferenceRecord rec : r.records()) {
            PreferenceEncoder.Encoded[] e = enc.encode(rec);
            if (e[0].truncated() || e[1].truncated()) truncated++;
            records.add(rec);
            pairs.add(new PreferencePair(e[0].tokens(), e[0].prompt(), e[1].tokens(), e[1].prompt(), rec.margin()));
        }
        if (pairs.isEmpty()) throw new IllegalArgumentException(data + ": no preference records");
        if (!(valFraction >= 0 && valFraction < 1)) throw new IllegalArgumentException("--val-fraction must be in [0, 1), got " + valFraction);
        int[] order = new int[pairs.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int nVal = (int) Math.round(valFraction * pairs.size());
        if (valFraction > 0 && nVal == 0 && pairs.size() > 1) nVal = 1;
        for (int k = 0; k < order.length; k++) (k < order.length - nVal ? train : val).add(pairs.get(order[k]));
        if (o != null) {
            long tokens = 0;
            for (PreferencePair p : pairs) tokens += p.chosen().length + p.rejected().length;
            String split = valFraction > 0 ? String.format(Locale.ROOT, " (%d train, %d held out)", train.size(), val.size()) : ""; // rm eval: all are scored
            o.printf(Locale.ROOT, "%s: %d pairs%s, %,d tokens, %d truncated to --seq %d%s%n", data, pairs.size(), split,
                    tokens, truncated, seq, r.badRecords() > 0 ? ", " + r.badRecords() + " bad records skipped" : "");
        }
        return this;
    }
}
