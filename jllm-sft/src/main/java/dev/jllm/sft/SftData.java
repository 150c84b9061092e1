package dev.jllm.sft;

import dev.jllm.chat.ChatTemplate;
import dev.jllm.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Prepared SFT data: every source read, rendered with the chat template, tokenized, fitted to the
 * row length and split into training and held-out samples — then micro-batches on demand.
 *
 * <p>Typical use by a trainer:
 * <pre>{@code
 * SftData data = SftData.prepare(MixSpec.parse("code=code.jsonl:8,math=math.jsonl:1"), ChatTemplate.fromGguf(gguf), tok,
 *         SftConfig.builder(512, 8).valFraction(0.02).seed(42).build());
 * System.err.print(data.summary());
 * SftBatch b = data.batch(step, micro, accumulation);   // the same rows for the same (seed, step, micro), resumed or not
 * for (SftBatch v : data.validationBatches()) ...       // fixed, in order
 * }</pre>
 *
 * <p>The held-out split is by record (before rendering), so a record and every sample made from it
 * are on one side; it is {@code round(fraction · records)} records per source (at least 1 and at most
 * all but 1 when the fraction is positive and the source has 2+ records), chosen by a shuffle seeded
 * by (seed, source name): the same held-out set whatever the other sources or the row length are.
 * Samples longer than the row are truncated or dropped ({@link SftConfig.Overflow}); a sample whose
 * learned tokens all fall past the cut has nothing to learn and is dropped too. Everything is counted
 * in {@link #stats()}. Immutable after preparation; {@link #batch} is thread-safe.
 */
public final class SftData {
    /** A prepared sample: tokens and loss flags (see {@link SftRenderer.Encoded}) and the record it came from. */
    public record Sample(int source, String file, long line, int[] tokens, boolean[] loss) {}

    /**
     * Counts per source. Records are the file's good records; samples are what the renderer made of
     * them (more than records when a template needed per-turn samples, see {@code splitTurns}).
     */
    public record SourceStats(String name, String file, double probability, int records, int badRecords, int heldOutRecords,
                              int trainSamples, int valSamples, int splitTurns, int truncated, int droppedTooLong,
                              int droppedNoLoss, long trainTokens, long trainLossTokens) {}

    private final SftConfig config;
    private final List<String> names;
    private final Sample[][] train, val;
    private final List<SourceStats> stats;
    private final List<String> errors;
    private final Packer packer;
    private final int padId;

    private SftData(SftConfig config, List<String> names, Sample[][] train, Sample[][] val, List<SourceStats> stats,
                    List<String> errors, double[] probabilities, long[] sourceSeeds, int padId) {
        this.config = config;
        this.names = List.copyOf(names);
        this.train = train;
        this.val = val;
        this.stats = List.copyOf(stats);
        this.errors = List.copyOf(errors);
        this.padId = padId;
        int[][] lengths = new int[train.length][];
        for (int s = 0; s < train.length; s++) lengths[s] = Arrays.stream(train[s]).mapToInt(x -> x.tokens().length).toArray();
        this.packer = new Packer(config.seed(), config.rows(), config.seqLen(), config.packing() == SftConfig.Packing.PACK,
                probabilities, lengths, sourceSeeds);
    }

    /**
     * Reads and prepares every source of the mix.
     *
     * @throws SftException at the first bad record (unless {@code skipBad}), for a missing file, or
     *                      for a source left without training samples
     */
    public static SftData prepare(MixSpec mix, ChatTemplate template, Tokenizer tok, SftConfig config) throws IOException {
        SftRenderer renderer = new SftRenderer(template, tok, config.trainOn(), config.templateContext());
        SftReader.Options options = new SftReader.Options(config.format(), config.variables(), config.skipBad());
        double[] p = mix.probabilities();
        int n = mix.sources().size();
        Sample[][] train = new Sample[n][], val = new Sample[n][];
        long[] seeds = new long[n];
        List<SourceStats> stats = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            MixSpec.Source src = mix.sources().get(s);
            String file = src.file().toString();
            if (!Files.isRegularFile(src.file())) throw new SftException(file, 0, "source '" + src.name() + "': no such file");
            SftReader.Result read = SftReader.read(src.file(), options);
            errors.addAll(read.errors());
            seeds[s] = nameSeed(src.name());
            List<Conversation> convs = read.conversations();
            boolean[] heldOut = heldOut(convs.size(), config.valFraction(), config.seed() ^ seeds[s]);
            // rendering (Jinja) and tokenizing dominate: records in parallel, results kept in file order
            List<Object> rendered = IntStream.range(0, convs.size()).parallel().mapToObj(i -> {
                try {
                    return (Object) renderer.encode(convs.get(i));
                } catch (SftException e) {
                    return e;
                }
            }).toList();
            Counts c = new Counts();
            c.bad = read.badRecords();
            List<Sample> tr = new ArrayList<>(), va = new ArrayList<>();
            for (int i = 0; i < convs.size(); i++) {
                if (rendered.get(i) instanceof SftException e) {
                    if (!config.skipBad()) throw e;
                    c.bad++;
                    if (errors.size() < SftReader.KEPT_ERRORS) errors.add(e.getMessage());
                    continue;
                }
                if (heldOut[i]) c.heldOut++;
                @SuppressWarnings("unchecked")
                List<SftRenderer.Encoded> samples = (List<SftRenderer.Encoded>) rendered.get(i);
                for (SftRenderer.Encoded e : samples) {
                    Sample x = fit(s, convs.get(i), e, config, c);
                    if (x == null) continue;
                    if (heldOut[i]) {
                        va.add(x);
                    } else {
                        tr.add(x);
                        c.tokens += x.tokens().length;
                        for (boolean b : x.loss()) if (b) c.lossTokens++;
                    }
                }
            }
            if (tr.isEmpty()) {
                throw new SftException(file, 0, "source '" + src.name() + "' has no training samples (" + convs.size() + " good records, "
                        + c.bad + " bad, " + c.heldOut + " held out, " + c.tooLong + " longer than " + config.seqLen() + " tokens dropped, "
                        + c.noLoss + " without learned tokens)" + (errors.isEmpty() ? "" : "; first error: " + errors.getFirst()));
            }
            train[s] = tr.toArray(Sample[]::new);
            val[s] = va.toArray(Sample[]::new);
            stats.add(new SourceStats(src.name(), file, p[s], convs.size(), c.bad, c.heldOut, tr.size(), va.size(), c.split,
                    c.truncated, c.tooLong, c.noLoss, c.tokens, c.lossTokens));
        }
        int pad = tok.eos() >= 0 ? tok.eos() : 0;
        return new SftData(config, mix.sources().stream().map(MixSpec.Source::name).toList(), train, val, stats, errors, p, seeds, pad);
    }

    private static final class Counts {
        int bad, heldOut, split, truncated, tooLong, noLoss;
        long tokens, lossTokens;
    }

    /** The sample fitted to the row length, or null (counted) when it is dropped. */
    private static Sample fit(int source, Conversation conv, SftRenderer.Encoded e, SftConfig config, Counts c) {
        if (e.splitTurn()) c.split++;
        int[] tokens = e.tokens();
        boolean[] loss = e.loss();
        if (tokens.length > config.seqLen()) {
            if (config.overflow() == SftConfig.Overflow.DROP) {
                c.tooLong++;
                return null;
            }
            c.truncated++;
            tokens = Arrays.copyOf(tokens, config.seqLen());
            loss = Arrays.copyOf(loss, config.seqLen());
        }
        boolean learns = false;
        for (int t = 1; t < loss.length && !learns; t++) learns = loss[t]; // position 0 has no preceding token to predict it from
        if (!learns) {
            c.noLoss++;
            return null;
        }
        return new Sample(source, conv.file(), conv.line(), tokens, loss);
    }

    /** Which of n records are held out: round(fraction·n) of them (1..n-1 when fraction > 0 and n ≥ 2), by a seeded shuffle. */
    static boolean[] heldOut(int n, double fraction, long seed) {
        boolean[] out = new boolean[n];
        if (fraction <= 0 || n < 2) return out;
        int m = (int) Math.max(1, Math.min(n - 1, Math.round(fraction * n)));
        int[] perm = Packer.shuffle(n, seed ^ 0x5EED5EED5EEDL);
        for (int i = 0; i < m; i++) out[perm[i]] = true;
        return out;
    }

    /** A 64-bit FNV-1a hash of the source name: its shuffles and split follow the name, not its place in the mix. */
    private static long nameSeed(String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xff)) * 0x100000001b3L;
        return Packer.mix64(h);
    }

    /** Micro-batch {@code microBatch} (counted from 0 over the whole run): the same rows every time it is asked for. */
    public SftBatch batch(long microBatch) {
        return materialize(packer.plan(microBatch), train);
    }

    /** Micro-batch {@code micro} of optimizer step {@code step} with {@code microBatchesPerStep} gradient-accumulation micro-batches. */
    public SftBatch batch(long step, int micro, int microBatchesPerStep) {
        if (step < 0 || micro < 0 || micro >= microBatchesPerStep) {
            throw new IllegalArgumentException("need step >= 0 and 0 <= micro < " + microBatchesPerStep + ", got step " + step + ", micro " + micro);
        }
        return batch(step * microBatchesPerStep + micro);
    }

    /** The held-out samples of every source (source by source, in file order) laid out like training rows; the last batch may have empty rows. */
    public List<SftBatch> validationBatches() {
        List<Sample> all = new ArrayList<>();
        List<int[]> refs = new ArrayList<>();
        for (int s = 0; s < val.length; s++) {
            for (int i = 0; i < val[s].length; i++) {
                all.add(val[s][i]);
                refs.add(new int[] {s, i});
            }
        }
        List<SftBatch> out = new ArrayList<>();
        int[] next = {0};
        while (next[0] < all.size()) {
            List<Packer.Slot> slots = Packer.fill(config.rows(), config.seqLen(), config.packing() == SftConfig.Packing.PACK, new Packer.Draws() {
                public int peekLength() {
                    return next[0] < all.size() ? all.get(next[0]).tokens().length : -1;
                }

                public Packer.Slot take(int row, int offset, int length) {
                    int[] ref = refs.get(next[0]++);
                    return new Packer.Slot(row, offset, length, ref[0], ref[1], 0);
                }
            });
            out.add(materialize(slots, val));
        }
        return out;
    }

    private SftBatch materialize(List<Packer.Slot> slots, Sample[][] from) {
        int S = config.seqLen(), B = config.rows();
        int[] inputs = new int[B * S], targets = new int[B * S], positions = new int[B * S], segments = new int[B * S], sources = new int[B * S];
        Arrays.fill(inputs, padId);
        Arrays.fill(targets, SftBatch.IGNORE);
        Arrays.fill(segments, -1);
        Arrays.fill(sources, -1);
        int[] perRow = new int[B];
        List<SftBatch.Placement> placed = new ArrayList<>(slots.size());
        for (Packer.Slot sl : slots) {
            Sample x = from[sl.source()][sl.sample()];
            int seg = perRow[sl.row()]++;
            int base = sl.row() * S + sl.offset();
            int n = x.tokens().length;
            for (int j = 0; j < n; j++) {
                inputs[base + j] = x.tokens()[j];
                targets[base + j] = j + 1 < n && x.loss()[j + 1] ? x.tokens()[j + 1] : SftBatch.IGNORE;
                positions[base + j] = j;
                segments[base + j] = seg;
                sources[base + j] = sl.source();
            }
            placed.add(new SftBatch.Placement(sl.row(), seg, sl.offset(), n, sl.source(), sl.sample(), sl.epoch()));
        }
        return new SftBatch(B, S, inputs, targets, positions, segments, sources, placed);
    }

    /** The number of micro-batches whose draws add up to {@code epochs} × all training samples (e.g. for {@code --epochs}). */
    public long microBatchesForEpochs(double epochs) {
        if (!(epochs > 0)) throw new IllegalArgumentException("epochs must be > 0, got " + epochs);
        return Math.max(1, packer.microBatchesFor((long) Math.ceil(epochs * trainSampleCount())));
    }

    /** Epochs of training data (draws ÷ training samples) seen before micro-batch {@code microBatch}. */
    public double epochAt(long microBatch) {
        return (double) packer.drawsBefore(microBatch) / trainSampleCount();
    }

    public long trainSampleCount() {
        long n = 0;
        for (Sample[] s : train) n += s.length;
        return n;
    }

    /** Source names in mix order: {@code sourceOfToken} and {@link SftBatch.Placement#source} index this list. */
    public List<String> sourceNames() {
        return names;
    }

    public Sample trainSample(int source, int index) {
        return train[source][index];
    }

    public Sample validationSample(int source, int index) {
        return val[source][index];
    }

    public int trainSamples(int source) {
        return train[source].length;
    }

    public int validationSamples(int source) {
        return val[source].length;
    }

    public boolean hasValidation() {
        for (Sample[] v : val) if (v.length > 0) return true;
        return false;
    }

    public SftConfig config() {
        return config;
    }

    public List<SourceStats> stats() {
        return stats;
    }

    /** The first {@value SftReader#KEPT_ERRORS} messages of skipped records (the counts in {@link #stats()} are exact). */
    public List<String> errors() {
        return errors;
    }

    /** A few lines for the start of a run: per source what was read, kept, held out, dropped and why. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (SourceStats s : stats) {
            sb.append(String.format("sft data: %s (%s) p=%.3f: %d records (%d bad), %d held out; train %d samples, %,d tokens, %,d learned",
                    s.name(), s.file(), s.probability(), s.records(), s.badRecords(), s.heldOutRecords(), s.trainSamples(), s.trainTokens(),
                    s.trainLossTokens()));
            sb.append(String.format("; val %d samples; truncated %d, dropped %d too long + %d without learned tokens%s%n", s.valSamples(),
                    s.truncated(), s.droppedTooLong(), s.droppedNoLoss(), s.splitTurns() > 0 ? ", " + s.splitTurns() + " per-turn samples" : ""));
        }
        for (String e : errors) sb.append("sft data: skipped ").append(e).append('\n');
        return sb.toString();
    }
}
