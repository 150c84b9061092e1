package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.server.registry.Registry;
import dev.jllm.server.store.ModelRegistry;
import dev.jllm.server.store.ModelRegistry.ModelVersion;
import dev.jllm.server.store.SqlConversationStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm models}: the model registry in the conversation store (versions, promotion, rollback). */
@Command(name = "models", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = {ModelsCommand.Add.class, ModelsCommand.ListVersions.class, ModelsCommand.Promote.class, ModelsCommand.Rollback.class},
        description = {"The model registry, kept in the same database as conversations (--data-dir DIR | --store URL), so every",
            "`jllm serve --registry NAME` on it serves the promoted version and follows promotions and rollbacks:",
            "  add NAME FILE [--version V] [--adapter A=FILE]   record a version (SHA-256 and size of each file)",
            "  list [NAME] [--json]                              versions, the promoted one marked *",
            "  promote NAME VERSION                              serve VERSION (its files checked first)",
            "  rollback NAME                                     back to the version promoted before the current one",
            "The same operations over HTTP: jllm serve --admin-key FILE, /admin/models (docs/OPERATIONS.md)."})
final class ModelsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    static void print(PrintWriter out, ModelVersion m, String prefix) {
        out.println(prefix + m.name() + " " + m.version() + "  sha256 " + m.shortHash() + "  " + Units.bytes(m.sizeBytes()) + "  " + m.path()
                + (m.adapters().isEmpty() ? "" : "  adapters: " + String.join(", ", m.adapters().stream().map(ModelRegistry.Adapter::name).toList())));
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Record a version of NAME: the file's SHA-256 and size (and each adapter's, checked to fit the model).")
    static final class Add implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME", description = "the model's name: what clients send as 'model'") String name;
        @Parameters(index = "1", paramLabel = "FILE", description = "a GGUF model") Path file;
        @Option(names = "--version", paramLabel = "V", description = "the version's name (default: the next vN)") String version;
        @Option(names = "--adapter", paramLabel = "NAME=FILE", description = "a LoRA adapter served with this version as NAME:ADAPTER; repeatable")
        List<String> adapters = new java.util.ArrayList<>();
        @Mixin StoreOptions store;

        @Override
        public Integer call() throws Exception {
            Map<String, Path> ads = new LinkedHashMap<>();
            for (String a : adapters) {
                int eq = a.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("--adapter must be NAME=FILE, got '" + a + "'");
                if (ads.put(a.substring(0, eq).strip(), Path.of(a.substring(eq + 1))) != null) {
                    throw new IllegalArgumentException("--adapter: the name '" + a.substring(0, eq) + "' is given twice");
                }
            }
            try (SqlConversationStore s = store.open(true)) {
                ModelVersion m = new Registry(s).add(name, file, version, ads);
                PrintWriter out = spec.commandLine().getOut();
                print(out, m, "added ");
                if (s.promoted(name).isEmpty()) out.println("  nothing of " + name + " is promoted yet: jllm models promote " + name + " " + m.version() + " " + store.where());
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Versions of NAME (or of every model), oldest first; * marks the promoted one.")
    static final class ListVersions implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME") String name;
        @Option(names = "--json", description = "JSON instead of a table") boolean json;
        @Mixin StoreOptions store;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (SqlConversationStore s = store.open(false)) {
                List<ModelVersion> vs = s.versions(name);
                if (json) {
                    ObjectMapper m = new ObjectMapper();
                    ArrayNode a = m.createArrayNode();
                    for (ModelVersion v : vs) {
                        ObjectNode o = a.addObject().put("name", v.name()).put("version", v.version()).put("promoted", v.promoted())
                                .put("sha256", v.sha256()).put("size_bytes", v.sizeBytes()).put("path", v.path()).put("added_at", v.addedAt());
                        ArrayNode ad = o.putArray("adapters");
                        for (ModelRegistry.Adapter x : v.adapters()) ad.addObject().put("name", x.name()).put("path", x.path()).put("sha256", x.sha256());
                    }
                    out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(a));
                    out.flush();
                    return 0;
                }
                if (vs.isEmpty()) {
                    out.println(name == null ? "the registry is empty: jllm models add NAME FILE" : "no model named " + name + ": jllm models add " + name + " FILE");
                    out.flush();
                    return 0;
                }
                out.printf(Locale.ROOT, "  %-16s %-10s %-12s %10s  %-16s  %s%n", "NAME", "VERSION", "SHA256", "SIZE", "ADDED (UTC)", "FILE");
                for (ModelVersion v : vs) {
                    out.printf(Locale.ROOT, "%s %-16s %-10s %-12s %10s  %-16s  %s%s%n", v.promoted() ? "*" : " ", v.name(), v.version(), v.shortHash(),
                            Units.bytes(v.sizeBytes()), TIME.format(Instant.ofEpochSecond(v.addedAt())), v.path(),
                            v.adapters().isEmpty() ? "" : "  (adapters: " + String.join(", ", v.adapters().stream().map(ModelRegistry.Adapter::name).toList()) + ")");
                }
                out.println("* = promoted (served by jllm serve --registry NAME)");
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Serve VERSION of NAME: servers with --registry NAME switch within their poll interval (requests in flight finish on the old one).")
    static final class Promote implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "VERSION") String version;
        @Mixin StoreOptions store;

        @Override
        public Integer call() throws Exception {
            try (SqlConversationStore s = store.open(false)) {
                String before = s.promoted(name).map(ModelVersion::version).orElse(null);
                ModelVersion m = new Registry(s).promote(name, version);
                PrintWriter out = spec.commandLine().getOut();
                print(out, m, "promoted ");
                if (before != null && !before.equals(version)) out.println("  (was " + before + "; jllm models rollback " + name + " goes back to it)");
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, description = "Serve again the version of NAME promoted before the current one.")
    static final class Rollback implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Mixin StoreOptions store;

        @Override
        public Integer call() throws Exception {
            try (SqlConversationStore s = store.open(false)) {
                String before = s.promoted(name).map(ModelVersion::version).orElse(null);
                ModelVersion m = new Registry(s).rollback(name);
                PrintWriter out = spec.commandLine().getOut();
                print(out, m, "rolled back " + before + " → ");
                out.flush();
            }
            return 0;
        }
    }

    static String time(long epochSeconds) {
        return TIME.format(Instant.ofEpochSecond(epochSeconds));
    }
}
