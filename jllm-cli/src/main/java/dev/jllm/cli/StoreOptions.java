package dev.jllm.cli;

import dev.jllm.server.store.PostgresConversationStore;
import dev.jllm.server.store.SqlConversationStore;
import dev.jllm.server.store.SqliteConversationStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --data-dir DIR | --store URL}, as {@code jllm serve} takes them: the database of conversations, the registry and the generations log. */
final class StoreOptions {
    @Option(names = "--data-dir", defaultValue = "./jllm-data", paramLabel = "DIR",
            description = "the SQLite database DIR/jllm.db (default ${DEFAULT-VALUE})") Path dataDir;
    @Option(names = "--store", paramLabel = "URL", description = "postgres://user:pass@host:port/db instead of SQLite") String store;

    /**
     * Opens the database without touching responses in progress (servers may be running on it). A
     * SQLite file that is not there is an error (unless {@code create}: adding the first model creates it).
     */
    SqlConversationStore open(boolean create) throws IOException {
        if (store != null) return PostgresConversationStore.open(store, 2, false);
        if (!create && !Files.exists(dataDir.resolve("jllm.db"))) {
            throw new IllegalArgumentException("no database at " + dataDir.resolve("jllm.db") + "; give the --data-dir of your jllm serve, or --store URL");
        }
        return SqliteConversationStore.open(dataDir, false);
    }

    String where() {
        return store != null ? "--store" : "--data-dir " + dataDir;
    }
}
