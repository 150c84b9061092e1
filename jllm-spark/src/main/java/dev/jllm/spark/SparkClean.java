package dev.jllm.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.posexplode;

import dev.jllm.data.CleanConfig;
import dev.jllm.data.CleanConfigLoader;
import dev.jllm.data.CleanPipeline;
import dev.jllm.data.FileCleaner;
import dev.jllm.data.InputFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code jllm clean} as a Spark job:
 * <pre>
 * spark-submit --class dev.jllm.spark.SparkClean jllm-spark-0.1.0-SNAPSHOT-job.jar \
 *     --input DIR_OR_FILES --output DIR [--preset seed|zh-web|en-web] [--config clean.yaml] [--text-field text]
 * </pre>
 * <ol>
 *   <li>Files are listed on the driver and spread over the executors, one task per file; each runs
 *       jllm-data's {@link FileCleaner} (the local runner's reading, normalizers and filters).</li>
 *   <li>Every kept document gets its input-order key {@code ord = fileIndex << 40 | indexInFile}.</li>
 *   <li>Exact dedup: per 128-bit text hash keep the smallest ord.</li>
 *   <li>MinHash (same 14 × 8 bands): per (band, key) the smallest ord; a document is a near duplicate
 *       when some band's smallest ord is an earlier document. This is the local runner's rule
 *       ("shares a band with any earlier document"), so both keep exactly the same documents.</li>
 *   <li>Output: the kept JSON lines in input order (text files part-*).</li>
 * </ol>
 * Input paths must be readable by every executor (local disk in local mode, a shared mount on a
 * cluster); Hadoop file systems (hdfs://, s3a://) are not read yet.
 */
public final class SparkClean {
    private SparkClean() {}

    private static final StructType SCHEMA = new StructType()
            .add("ord", DataTypes.LongType, false)
            .add("json", DataTypes.StringType, false)
            .add("h1", DataTypes.LongType, true)
            .add("h2", DataTypes.LongType, true)
            .add("bands", DataTypes.createArrayType(DataTypes.LongType, false), true);

    /** What the job kept and dropped. */
    public record Summary(long kept, long afterFilters, long exactDuplicates, long nearDuplicates) {}

    public static void main(String[] args) throws IOException {
        Map<String, String> a = parse(args);
        SparkSession.Builder b = SparkSession.builder().appName("jllm clean");
        if (a.containsKey("master")) b.master(a.get("master"));
        SparkSession spark = b.getOrCreate();
        try {
            List<Path> inputs = new ArrayList<>();
            for (String s : a.get("input").split(",")) inputs.add(Path.of(s));
            Map<String, Object> overrides = new LinkedHashMap<>();
            if (a.containsKey("text-field")) overrides.put("input.text_field", a.get("text-field"));
            CleanConfig cfg = CleanConfigLoader.load(a.get("preset"), a.containsKey("config") ? Path.of(a.get("config")) : null, overrides);
            Summary s = run(spark, cfg, inputs, a.get("output"));
            System.out.printf("jllm clean (spark): %d documents passed the filters, %d exact and %d near duplicates dropped, %d kept -> %s%n",
                    s.afterFilters(), s.exactDuplicates(), s.nearDuplicates(), s.kept(), a.get("output"));
        } finally {
            spark.stop();
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (!k.startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("usage: SparkClean --input FILES|DIR --output DIR [--preset P] [--config clean.yaml] [--text-field F] [--master M]; bad argument '" + k + "'");
            String key = k.substring(2);
            if (!List.of("input", "output", "preset", "config", "text-field", "master").contains(key)) throw new IllegalArgumentException("unknown option " + k);
            m.merge(key, args[++i], (x, y) -> x + "," + y);
        }
        if (!m.containsKey("input") || !m.containsKey("output")) throw new IllegalArgumentException("--input and --output are required");
        return m;
    }

    /** Runs the job; the kept documents are written as JSON lines to {@code output} in input order. */
    public static Summary run(SparkSession spark, CleanConfig cfg, List<Path> inputs, String output) throws IOException {
        List<Path> files = InputFiles.expand(inputs);
        List<String> indexed = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) indexed.add(i + "\t" + files.get(i).toAbsolutePath());
        String cfgJson = CleanConfigLoader.toJson(cfg);

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Row> rows = jsc.parallelize(indexed, Math.max(1, indexed.size())).flatMap(entry -> {
            int tab = entry.indexOf('\t');
            long fileIndex = Long.parseLong(entry.substring(0, tab));
            Path file = Path.of(entry.substring(tab + 1));
            CleanConfig c = CleanConfigLoader.fromJson(cfgJson);
            List<Row> out = new ArrayList<>();
            FileCleaner.clean(file, c, new CleanPipeline(c), k -> out.add(RowFactory.create(
                    fileIndex << 40 | k.index(), k.json(),
                    k.hash() == null ? null : k.hash()[0], k.hash() == null ? null : k.hash()[1],
                    k.bands() == null ? null : boxed(k.bands()))));
            return out.iterator();
        });
        Dataset<Row> docs = spark.createDataFrame(rows, SCHEMA).cache();
        long afterFilters = docs.count();

        if (cfg.dedup().exact()) {
            docs = docs.withColumn("first", min("ord").over(Window.partitionBy("h1", "h2")))
                    .filter(col("ord").equalTo(col("first"))).drop("first");
        }
        long afterExact = docs.count();
        if (cfg.dedup().minhash().enabled()) {
            Dataset<Row> bands = docs.select(col("ord"), posexplode(col("bands")).as(new String[] {"b", "key"}));
            Dataset<Row> firsts = bands.groupBy("b", "key").agg(min("ord").as("first"));
            Dataset<Row> dups = bands.join(firsts, scala.jdk.javaapi.CollectionConverters.asScala(List.of("b", "key")).toSeq())
                    .filter(col("first").lt(col("ord"))).select("ord").distinct();
            docs = docs.join(dups, docs.col("ord").equalTo(dups.col("ord")), "left_anti");
        }
        Dataset<Row> kept = docs.orderBy("ord").select("json").cache();
        long keptCount = kept.count();
        kept.write().mode(SaveMode.ErrorIfExists).text(output);
        return new Summary(keptCount, afterFilters, afterFilters - afterExact, afterExact - keptCount);
    }

    private static Long[] boxed(long[] a) {
        Long[] b = new Long[a.length];
        for (int i = 0; i < a.length; i++) b[i] = a[i];
        return b;
    }
}
