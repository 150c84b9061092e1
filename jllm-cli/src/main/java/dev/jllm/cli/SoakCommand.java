package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code jllm soak}: a long mixed load against a jllm server — stateless chat (plain and streamed),
 * stateful turns, completions, embeddings, cancels (a stream dropped after its first chunk) and bad
 * requests — while it samples the server's RSS (from /proc, the pid re-read from a file so a restart is
 * followed) and heap (/metrics: used heap, live data after GC). {@code scripts/soak.sh} runs it with a
 * server restart in the middle. Report: soak.json (the verdict and numbers), soak.csv (samples) and
 * soak.png. Server errors (5xx, dropped connections) are allowed only while the server is restarting
 * (/health down, ± a few seconds); RSS and heap must not grow (least-squares slope per hour after warm-up).
 */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Mixed load for a long time against a jllm server, watching its memory (used by scripts/soak.sh; docs/OPERATIONS.md).",
            "Exit 1 if the server answered 5xx outside a restart, or its RSS or heap grew."})
final class SoakCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--url", required = true, description = "the server, e.g. http://127.0.0.1:8080") URI url;
    @Option(names = "--duration", required = true, paramLabel = "D", description = "how long: 30m, 2h, 90s") String duration;
    @Option(names = "--users", defaultValue = "6", description = "virtual users (default ${DEFAULT-VALUE})") int users;
    @Option(names = "--pid-file", paramLabel = "FILE", description = "the server's pid, for its RSS (re-read at every sample)") Path pidFile;
    @Option(names = "--report", required = true, paramLabel = "DIR", description = "where soak.json, soak.csv and soak.png go") Path report;
    @Option(names = "--model", description = "model id (default: the first of /v1/models)") String model;
    @Option(names = "--warmup", defaultValue = "180", paramLabel = "SECONDS", description = "not counted in the memory trend (default ${DEFAULT-VALUE})")
    int warmup;
    @Option(names = "--max-growth-mb-per-hour", defaultValue = "50", description = "RSS or heap growing faster fails the soak (default ${DEFAULT-VALUE})")
    double maxGrowth;
    @Option(names = "--full-gc-every", defaultValue = "2", paramLabel = "MINUTES", description = "with --pid-file: a full GC of the server"
            + " (jcmd PID GC.run) this often, then its used heap = the live data: what a leak raises (default ${DEFAULT-VALUE})") int gcEveryMinutes;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    /** One request's outcome: when it ended (ms since start), what it was, the status (0: the connection failed), whether that was expected. */
    record Outcome(long atMs, String kind, int status, boolean ok) {}

    /** One memory sample. */
    record Sample(long atMs, double rssMb, double heapMb, double liveMb, boolean up) {}

    static long seconds(String d) {
        var m = java.util.regex.Pattern.compile("(\\d+)([smh]?)").matcher(d.strip());
        if (!m.matches()) throw new IllegalArgumentException("--duration must be like 90s, 30m or 2h, got '" + d + "'");
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> n * 60;
            case "h" -> n * 3600;
            default -> n;
        };
    }

    @Override
    public Integer call() throws Exception {
        long total = seconds(duration);
        Files.createDirectories(report);
        PrintWriter out = spec.commandLine().getOut();
        if (model == null) model = json.readTree(get("/v1/models").body()).get("data").get(0).get("id").asText();
        long t0 = System.currentTimeMillis();
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        List<Sample> samples = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread sampler = Thread.ofVirtual().start(() -> {
            long nextFullGc = 60_000;
            while (!stop.get()) {
                long at = System.currentTimeMillis() - t0;
                boolean gc = pidFile != null && at >= nextFullGc;
                if (gc) nextFullGc = at + 60_000L * gcEveryMinutes;
                samples.add(sample(at, gc));
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<Thread> vus = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            long seed = u;
            vus.add(Thread.ofVirtual().start(() -> user(seed, t0, stop, outcomes)));
        }
        for (long s = 0; s < total; s++) {
            Thread.sleep(1000);
            if (s % 60 == 59) {
                out.printf(Locale.ROOT, "soak: %d/%d s, %d requests%n", s + 1, total, outcomes.size());
                out.flush();
            }
        }
        stop.set(true);
        for (Thread t : vus) t.join(120_000);
        sampler.interrupt();
        sampler.join(5000);
        return verdict(new ArrayList<>(outcomes), new ArrayList<>(samples), total * 1000, out);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private Sample sample(long at, boolean fullGc) {
        double rss = Double.NaN, heap = Double.NaN, live = Double.NaN;
        boolean up = false;
        try {
            up = get("/health").statusCode() == 200;
            if (fullGc && up) {
                long pid = Long.parseLong(Files.readString(pidFile).strip());
                Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
                Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            }
            String m = get("/metrics").body();
            heap = sum(m, "jvm_memory_used_bytes", "area=\"heap\"") / 1e6;
            if (fullGc && up) live = heap; // right after a full collection: only what is still referenced
        } catch (IOException | InterruptedException | RuntimeException e) {
            // down (restarting)
        }
        if (pidFile != null) {
            try {
                long pid = Long.parseLong(Files.readString(pidFile).strip());
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith("VmRSS:")) rss = Double.parseDouble(line.replaceAll("[^0-9]", "")) / 1024;
                }
            } catch (IOException | RuntimeException e) {
                // between processes
            }
        }
        return new Sample(at, rss, heap, live, up);
    }

    private static double sum(String metrics, String name, String label) {
        double s = 0;
        boolean found = false;
        for (String line : metrics.split("\n")) {
            if ((line.startsWith(name + "{") || line.startsWith(name + " ")) && line.contains(label)) {
                s += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? s : Double.NaN;
    }

    /** A virtual user: a weighted mix of request kinds, forever (until stop). */
    private void user(long seed, long t0, AtomicBoolean stop, ConcurrentLinkedQueue<Outcome> outcomes) {
        SplittableRandom r = new SplittableRandom(seed);
        String conv = null;
        while (!stop.get()) {
            int pick = r.nextInt(100);
            String kind;
            int status;
            boolean ok;
            try {
                if (pick < 25) {
                    kind = "chat";
                    status = post("/v1/chat/completions", chat(r, false)).statusCode();
                    ok = status == 200;
                } else if (pick < 45) {
                    kind = "chat_stream";
                    HttpResponse<String> h = post("/v1/chat/completions", chat(r, true));
                    status = h.statusCode();
                    ok = status == 200 && h.body().contains("data: [DONE]") && !h.body().contains("\"error\"");
                } else if (pick < 65) {
                    kind = "turn";
                    if (conv == null || r.nextInt(10) == 0) {
                        HttpResponse<String> c = post("/v1/conversations", "{\"metadata\":{\"soak\":\"1\"}}");
                        if (c.statusCode() != 200) {
                            outcomes.add(new Outcome(System.currentTimeMillis() - t0, "conversation", c.statusCode(), false));
                            continue;
                        }
                        conv = json.readTree(c.body()).get("id").asText();
                    }
                    boolean stream = r.nextBoolean();
                    HttpResponse<String> h = post("/v1/responses", "{\"model\":\"" + model + "\",\"conversation\":\"" + conv + "\",\"input\":\"turn "
                            + r.nextInt(1000) + "\",\"max_output_tokens\":" + (8 + r.nextInt(24)) + ",\"truncation\":\"auto\",\"stream\":" + stream + "}");
                    status = h.statusCode();
                    ok = status == 200 && (stream ? h.body().contains("event: response.completed") || h.body().contains("event: response.incomplete") : true);
                    if (status == 404) conv = null; // the conversation is gone (a fresh data dir)
                } else if (pick < 72) {
                    kind = "completion";
                    status = post("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":" + (4 + r.nextInt(16)) + "}").statusCode();
                    ok = status == 200;
                } else if (pick < 77) {
                    kind = "embedding";
                    status = post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":[\"a cat\",\"a dog\"]}").statusCode();
                    ok = status == 200;
                } else if (pick < 87) {
                    kind = "cancel";
                    status = cancel(r);
                    ok = status == 200;
                } else {
                    kind = "bad_request";
                    String[] bad = {"{not json", "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                            "{\"model\":\"" + model + "\"}", "{\"model\":\"" + model + "\",\"messages\":[],\"max_tokens\":-1}"};
                    status = post("/v1/chat/completions", bad[r.nextInt(bad.length)]).statusCode();
                    ok = status >= 400 && status < 500;
                }
            } catch (IOException e) {
                kind = "io";
                status = 0;
                ok = false;
                sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            outcomes.add(new Outcome(System.currentTimeMillis() - t0, kind, status, ok));
            if (status == 429) sleep(100);
        }
    }

    private String chat(SplittableRandom r, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":" + (8 + r.nextInt(32)) + ",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about " + r.nextInt(100) + " cats\"}]}";
    }

    /** A streamed request dropped after its first chunk: the server must cancel it and free its slot. */
    private int cancel(SplittableRandom r) throws IOException, InterruptedException {
        HttpResponse<InputStream> h = http.send(HttpRequest.newBuilder(url.resolve("/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":60,"
                        + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Go on and on\"}]}")).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = h.body()) {
            in.read(new byte[64]);
        }
        return h.statusCode();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The report: requests by kind, server errors inside and outside restarts, memory trends; true if it passed. */
    private int verdict(List<Outcome> outcomes, List<Sample> samples, long totalMs, PrintWriter out) throws IOException {
        // restart windows: samples where /health did not answer, widened by 5 s on each side
        List<long[]> down = new ArrayList<>();
        for (Sample s : samples) {
            if (s.up()) continue;
            if (!down.isEmpty() && s.atMs() - down.getLast()[1] <= 2000) down.getLast()[1] = s.atMs();
            else down.add(new long[] {s.atMs(), s.atMs()});
        }
        for (long[] w : down) {
            w[0] -= 5000;
            w[1] += 15_000; // clients' pooled connections to the old process fail on first use after the new one is up
        }
        Map<String, int[]> byKind = new TreeMap<>(); // requests, unexpected
        Map<String, Map<Integer, Integer>> statuses = new TreeMap<>();
        int serverErrors = 0, restartErrors = 0;
        List<String> examples = new ArrayList<>();
        for (Outcome o : outcomes) {
            int[] k = byKind.computeIfAbsent(o.kind(), x -> new int[2]);
            k[0]++;
            statuses.computeIfAbsent(o.kind(), x -> new TreeMap<>()).merge(o.status(), 1, Integer::sum);
            if (o.ok()) continue;
            boolean inRestart = down.stream().anyMatch(w -> o.atMs() >= w[0] && o.atMs() <= w[1]);
            boolean server = o.status() == 0 || o.status() >= 500;
            if (server && inRestart) restartErrors++;
            else if (server) {
                serverErrors++;
                if (examples.size() < 20) examples.add(String.format(Locale.ROOT, "%.1f s %s %d", o.atMs() / 1000.0, o.kind(), o.status()));
            }
            if (!inRestart && o.status() != 429) k[1]++;
        }
        // memory trend after warm-up, each segment between restarts on its own (a restart starts a new process)
        // heap: the live data (used heap right after a forced full GC), which a leak raises; without a pid, the floor each minute
        List<Sample> floors = new ArrayList<>();
        Map<Long, Sample> perMinute = new TreeMap<>();
        for (Sample x : samples) {
            if (Double.isNaN(x.heapMb())) continue;
            perMinute.merge(x.atMs() / 60_000, x, (a, b) -> a.heapMb() <= b.heapMb() ? a : b);
        }
        floors.addAll(perMinute.values());
        double rssSlope = slope(samples, Sample::rssMb, down);
        double heapSlope = samples.stream().filter(x -> !Double.isNaN(x.liveMb())).count() >= 5 ? slope(samples, Sample::liveMb, down)
                : slope(floors, Sample::heapMb, down);
        ObjectNode r = json.createObjectNode();
        r.put("duration_s", totalMs / 1000);
        r.put("requests", outcomes.size());
        ObjectNode kinds = r.putObject("by_kind");
        byKind.forEach((k, v) -> {
            ObjectNode o = kinds.putObject(k).put("requests", v[0]).put("unexpected", v[1]);
            ObjectNode st = o.putObject("statuses");
            statuses.get(k).forEach((code, n) -> st.put(code == 0 ? "connection_failed" : code.toString(), n));
        });
        r.put("server_errors_outside_restarts", serverErrors);
        r.put("server_errors_during_restarts", restartErrors);
        examples.forEach(r.putArray("server_errors_outside_restarts_examples")::add);
        r.putArray("restart_windows_s").add(down.stream().map(w -> String.format(Locale.ROOT, "%.1f-%.1f", w[0] / 1000.0, w[1] / 1000.0))
                .collect(java.util.stream.Collectors.joining(", ")));
        r.put("restarts_seen", down.size());
        r.put("rss_slope_mb_per_hour", round(rssSlope));
        r.put("heap_slope_mb_per_hour", round(heapSlope));
        r.put("rss_mb_first", round(first(samples, Sample::rssMb)));
        r.put("rss_mb_last", round(last(samples, Sample::rssMb)));
        r.put("rss_mb_max", round(samples.stream().mapToDouble(Sample::rssMb).filter(x -> !Double.isNaN(x)).max().orElse(Double.NaN)));
        r.put("heap_live_after_full_gc_mb_first", round(first(samples, Sample::liveMb)));
        r.put("heap_live_after_full_gc_mb_last", round(last(samples, Sample::liveMb)));
        r.put("heap_live_after_full_gc_mb_max", round(samples.stream().mapToDouble(Sample::liveMb).filter(x -> !Double.isNaN(x)).max().orElse(Double.NaN)));
        r.put("heap_floor_mb_first", round(first(floors, Sample::heapMb)));
        r.put("heap_floor_mb_last", round(last(floors, Sample::heapMb)));
        boolean pass = serverErrors == 0 && !(rssSlope > maxGrowth) && !(heapSlope > maxGrowth);
        r.put("pass", pass);
        Files.writeString(report.resolve("soak.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        StringBuilder csv = new StringBuilder("t_s,rss_mb,heap_mb,live_mb,up\n");
        for (Sample s : samples) csv.append(String.format(Locale.ROOT, "%.1f,%.1f,%.1f,%.1f,%d%n", s.atMs() / 1000.0, s.rssMb(), s.heapMb(), s.liveMb(), s.up() ? 1 : 0));
        Files.writeString(report.resolve("soak.csv"), csv);
        SoakPlot.write(samples, outcomes, down, report.resolve("soak.png"));
        out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        out.println(pass ? "soak: PASS" : "soak: FAIL (5xx outside restarts, or memory growing faster than " + maxGrowth + " MB/h)");
        out.flush();
        return pass ? 0 : 1;
    }

    private double slope(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> f, List<long[]> down) {
        // least squares per segment (between restarts), after the warm-up of each process; the slopes weighted by their points
        List<List<double[]>> segments = new ArrayList<>();
        List<double[]> cur = new ArrayList<>();
        long segStart = 0;
        boolean wasDown = false;
        for (Sample s : samples) {
            boolean inDown = down.stream().anyMatch(w -> s.atMs() >= w[0] && s.atMs() <= w[1]);
            if (inDown) {
                if (!wasDown && !cur.isEmpty()) {
                    segments.add(cur);
                    cur = new ArrayList<>();
                }
                wasDown = true;
                continue;
            }
            if (wasDown) segStart = s.atMs();
            wasDown = false;
            double v = f.applyAsDouble(s);
            if (!Double.isNaN(v) && s.atMs() - segStart >= warmup * 1000L) cur.add(new double[] {s.atMs() / 3_600_000.0, v});
        }
        if (!cur.isEmpty()) segments.add(cur);
        double num = 0, weight = 0;
        for (List<double[]> seg : segments) {
            if (seg.size() < 5) continue;
            double mx = 0, my = 0;
            for (double[] p : seg) {
                mx += p[0];
                my += p[1];
            }
            mx /= seg.size();
            my /= seg.size();
            double sxy = 0, sxx = 0;
            for (double[] p : seg) {
                sxy += (p[0] - mx) * (p[1] - my);
                sxx += (p[0] - mx) * (p[0] - mx);
            }
            if (sxx == 0) continue;
            num += sxy / sxx * seg.size();
            weight += seg.size();
        }
        return weight == 0 ? Double.NaN : num / weight;
    }

    private static double first(List<Sample> s, java.util.function.ToDoubleFunction<Sample> f) {
        return s.stream().mapToDouble(f).filter(x -> !Double.isNaN(x)).findFirst().orElse(Double.NaN);
    }

    private static double last(List<Sample> s, java.util.function.ToDoubleFunction<Sample> f) {
        double v = Double.NaN;
        for (Sample x : s) if (!Double.isNaN(f.applyAsDouble(x))) v = f.applyAsDouble(x);
        return v;
    }

    private static double round(double v) {
        return Double.isNaN(v) ? Double.NaN : Math.round(v * 10) / 10.0;
    }

}
