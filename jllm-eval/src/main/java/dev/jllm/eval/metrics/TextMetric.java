package dev.jllm.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The generation metrics by name, each as its reference defines it for English or Chinese, turned
 * into per-item statistics that the bootstrap can resample. Scales follow the references: BLEU and
 * chrF 0–100 (sacreBLEU), ROUGE 0–1 (rouge-score), exact match and F1 0–100 (SQuAD/CMRC scripts).
 */
public enum TextMetric {
    BLEU("bleu"), CHRF("chrf"), CHRF_PP("chrf++"), ROUGE_1("rouge-1"), ROUGE_2("rouge-2"), ROUGE_L("rouge-l"), EXACT("exact"), F1("f1");

    /** The language decides tokenization: sacreBLEU 13a vs zh, rouge-score's tokenizer vs characters, SQuAD vs CMRC. */
    public enum Lang { EN, ZH }

    private final String cliName;

    TextMetric(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static TextMetric of(String name) {
        for (TextMetric m : values()) if (m.cliName.equals(name.toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown metric '" + name + "' (bleu, chrf, chrf++, rouge-1, rouge-2, rouge-l, exact, f1)");
    }

    /** A corpus metric (BLEU, chrF: n-gram counts summed before scoring) rather than a mean of item scores. */
    public boolean isCorpusLevel() {
        return this == BLEU || this == CHRF || this == CHRF_PP;
    }

    /** What the number is, and whose definition: for the output's header line. */
    public String describe(Lang lang) {
        return switch (this) {
            case BLEU -> "BLEU (sacreBLEU corpus_bleu: tok " + (lang == Lang.ZH ? "zh" : "13a") + ", exp smoothing, 0-100)";
            case CHRF -> "chrF2 (sacreBLEU CHRF defaults: char order 6, whitespace removed, 0-100)";
            case CHRF_PP -> "chrF2++ (sacreBLEU CHRF word_order 2, 0-100)";
            case ROUGE_1, ROUGE_2, ROUGE_L -> cliName.toUpperCase(Locale.ROOT) + " F1 (rouge-score, "
                    + (lang == Lang.ZH ? "one token per Han character" : "default tokenizer") + ", mean over items, 0-1)";
            case EXACT -> "exact match (" + (lang == Lang.ZH ? "CMRC 2018 script" : "SQuAD v1.1 script") + ", 0-100)";
            case F1 -> "F1 (" + (lang == Lang.ZH ? "CMRC 2018 script, character level" : "SQuAD v1.1 script, token level") + ", 0-100)";
        };
    }

    /**
     * @param refStreams {@code refStreams.get(r).get(i)}: reference r of item i (as sacreBLEU's streams)
     * @param stem Porter stemming for ROUGE (rouge-score's use_stemmer); ignored by the other metrics
     */
    public ItemStats stats(List<String> predictions, List<List<String>> refStreams, Lang lang, boolean stem) {
        return switch (this) {
            case BLEU -> new Bleu(Bleu.Config.corpus(lang == Lang.ZH ? BleuTokenizer.ZH : BleuTokenizer.T13A)).stats(predictions, refStreams);
            case CHRF -> new Chrf(Chrf.Config.chrf()).stats(predictions, refStreams);
            case CHRF_PP -> new Chrf(Chrf.Config.chrfPlusPlus()).stats(predictions, refStreams);
            case ROUGE_1, ROUGE_2, ROUGE_L -> {
                Rouge.Type t = this == ROUGE_1 ? Rouge.Type.ROUGE_1 : this == ROUGE_2 ? Rouge.Type.ROUGE_2 : Rouge.Type.ROUGE_L;
                RougeTokenizer tok = lang == Lang.ZH ? RougeTokenizer.chinese(stem) : RougeTokenizer.english(stem);
                yield new Rouge(t, tok).stats(predictions, perItem(refStreams, predictions.size()));
            }
            case EXACT, F1 -> {
                List<List<String>> refs = perItem(refStreams, predictions.size());
                double[] s = new double[predictions.size()];
                for (int i = 0; i < s.length; i++) {
                    String p = predictions.get(i);
                    List<String> g = refs.get(i);
                    double v = lang == Lang.ZH
                            ? (this == EXACT ? Cmrc2018Score.exactMatch(p, g) : Cmrc2018Score.f1(p, g))
                            : (this == EXACT ? SquadScore.exactMatch(p, g) : SquadScore.f1(p, g));
                    s[i] = 100 * v;
                }
                yield ItemStats.means(s);
            }
        };
    }

    /** Streams to per-item reference lists (null entries skipped). */
    static List<List<String>> perItem(List<List<String>> refStreams, int n) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> refs = new ArrayList<>();
            for (List<String> s : refStreams) if (s.get(i) != null) refs.add(s.get(i));
            out.add(refs);
        }
        return out;
    }
}
