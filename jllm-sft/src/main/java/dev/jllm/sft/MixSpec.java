package dev.jllm.sft;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Data sources with sampling weights, as written on the command line:
 * {@code code=data/code.jsonl:8,math=data/math.jsonl:1,general=data/general.json:1}.
 *
 * <p>Grammar: entries separated by ',', each {@code NAME=FILE[:WEIGHT]}; WEIGHT defaults to 1 and
 * is a positive finite number (weights are relative: 8:1:1 is 80/10/10 %). NAME is letters, digits,
 * '_', '-', '.': it becomes a train.csv column and a TensorBoard tag. Because the weight follows the
 * last ':', a file name that itself contains ':' needs an explicit weight; file names with ',' are
 * not supported. Files are not opened here.
 */
public record MixSpec(List<Source> sources) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /** One source: its name, file and relative weight. */
    public record Source(String name, Path file, double weight) {
        public Source {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("source name '" + name + "' must be letters, digits, '_', '-' or '.'");
            }
            if (!(weight > 0) || Double.isInfinite(weight)) throw new IllegalArgumentException("source '" + name + "': weight must be a positive number, got " + weight);
        }
    }

    public MixSpec {
        sources = List.copyOf(sources);
        if (sources.isEmpty()) throw new IllegalArgumentException("a mix needs at least one source");
        Set<String> seen = new HashSet<>();
        for (Source s : sources) if (!seen.add(s.name())) throw new IllegalArgumentException("source name '" + s.name() + "' appears twice in the mix");
    }

    /** One file with weight 1, named after the file ({@code data/alpaca_en.json} → {@code alpaca_en}). */
    public static MixSpec single(Path file) {
        String base = file.getFileName().toString().replaceFirst("\\.(jsonl|json)$", "");
        String name = base.replaceAll("[^A-Za-z0-9_.-]", "_");
        return new MixSpec(List.of(new Source(name.isEmpty() ? "data" : name, file, 1)));
    }

    /** Parses {@code NAME=FILE[:WEIGHT],...}; errors quote the entry and say what is expected. */
    public static MixSpec parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty mix; expected NAME=FILE[:WEIGHT],... e.g. code=code.jsonl:8,math=math.jsonl:1");
        List<Source> out = new ArrayList<>();
        String[] entries = spec.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String e = entries[i].strip();
            String at = "mix entry " + (i + 1) + " '" + e + "'";
            if (e.isEmpty()) throw new IllegalArgumentException("mix entry " + (i + 1) + " is empty (a stray ',')");
            int eq = e.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException(at + ": expected NAME=FILE[:WEIGHT], e.g. math=math.jsonl:1");
            String name = e.substring(0, eq).strip();
            String rest = e.substring(eq + 1).strip();
            if (name.isEmpty()) throw new IllegalArgumentException(at + ": the source name before '=' is empty");
            if (!NAME.matcher(name).matches()) throw new IllegalArgumentException(at + ": source name '" + name + "' must be letters, digits, '_', '-' or '.'");
            String file = rest;
            double weight = 1;
            int colon = rest.lastIndexOf(':');
            if (colon >= 0) {
                file = rest.substring(0, colon).strip();
                String w = rest.substring(colon + 1).strip();
                try {
                    weight = Double.parseDouble(w);
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException(at + ": weight '" + w + "' after the last ':' is not a number"
                            + " (a file name containing ':' needs an explicit weight: NAME=FILE:WEIGHT)");
                }
                if (!(weight > 0) || Double.isInfinite(weight)) throw new IllegalArgumentException(at + ": weight must be a positive number, got " + w);
            }
            if (file.isEmpty()) throw new IllegalArgumentException(at + ": the file after '=' is empty");
            for (Source s : out) if (s.name().equals(name)) throw new IllegalArgumentException(at + ": source name '" + name + "' appears twice");
            out.add(new Source(name, Path.of(file), weight));
        }
        return new MixSpec(out);
    }

    /** Weights normalized to sum to 1, in source order. */
    public double[] probabilities() {
        double total = 0;
        for (Source s : sources) total += s.weight();
        double[] p = new double[sources.size()];
        for (int i = 0; i < p.length; i++) p[i] = sources.get(i).weight() / total;
        return p;
    }
}
