package dev.jllm.server.registry;

import dev.jllm.engine.KvDiskStore;
import dev.jllm.model.LoraAdapter;
import dev.jllm.model.LoraWeights;
import dev.jllm.model.ModelFile;
import dev.jllm.server.store.ModelRegistry;
import dev.jllm.server.store.ModelRegistry.Adapter;
import dev.jllm.server.store.ModelRegistry.ModelVersion;
import dev.jllm.server.store.ModelRegistry.RegistryException;
import dev.jllm.server.store.ModelRegistry.RegistryException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model registry's commands with the file checks the store does not do: {@code add} opens the
 * model (a GGUF with a vocabulary) and each adapter against it and records their SHA-256 and size;
 * {@code promote} and {@code rollback} check that the target's files are there and unchanged (same
 * SHA-256) before the registry says so, so a server never follows a promotion to a file it cannot load.
 * Used by {@code jllm models} and the admin endpoints.
 */
public final class Registry {
    private final ModelRegistry store;

    public Registry(ModelRegistry store) {
        this.store = store;
    }

    public ModelRegistry store() {
        return store;
    }

    /** Adds a version of {@code name} ({@code version} null: the next vN) with its adapters (name → file). */
    public ModelVersion add(String name, Path file, String version, Map<String, Path> adapters) throws IOException {
        Path f = existing(file, "model file");
        List<Adapter> ads = new ArrayList<>();
        try (ModelFile m = ModelFile.open(f)) {
            if (m.gguf() == null) {
                throw new RegistryException(Kind.INVALID, f + " is a llama2.c checkpoint, not a GGUF model with a vocabulary: convert it first with"
                        + " 'jllm convert " + f + " OUT.gguf --tokenizer tokenizer.bin'");
            }
            for (Map.Entry<String, Path> e : new LinkedHashMap<>(adapters).entrySet()) {
                Path a = existing(e.getValue(), "adapter file");
                try {
                    new LoraWeights(e.getKey(), LoraAdapter.read(a), m.config(), 1f); // fits this model, or says why not
                } catch (IllegalArgumentException x) {
                    throw new RegistryException(Kind.INVALID, "adapter " + e.getKey() + " (" + a + ") does not fit " + f + ": " + x.getMessage());
                }
                ads.add(new Adapter(e.getKey(), a.toString(), hex(KvDiskStore.sha256(a))));
            }
        } catch (dev.jllm.gguf.GgufFormatException | IllegalArgumentException e) {
            throw new RegistryException(Kind.INVALID, f + " is not a model jllm can serve: " + e.getMessage());
        }
        return store.addVersion(name, version, f.toString(), hex(KvDiskStore.sha256(f)), Files.size(f), ads);
    }

    /** Promotes a version after checking its files. */
    public ModelVersion promote(String name, String version) throws IOException {
        ModelVersion m = store.version(name, version).orElseThrow(() -> {
            List<ModelVersion> have = store.versions(name);
            if (have.isEmpty()) return new RegistryException(Kind.NOT_FOUND, "no model named " + name + " in the registry; add it with: jllm models add " + name + " FILE");
            return new RegistryException(Kind.NOT_FOUND, "model " + name + " has no version " + version + "; it has "
                    + String.join(", ", have.stream().map(ModelVersion::version).toList()));
        });
        verify(m);
        return store.promote(name, version);
    }

    /** Rolls back to the version promoted before the current one, after checking that version's files. */
    public ModelVersion rollback(String name) throws IOException {
        verify(store.rollbackTarget(name));
        return store.rollback(name);
    }

    /**
     * The version's model and adapter files exist and have the SHA-256 recorded when it was added;
     * otherwise a {@link RegistryException} (CONFLICT) naming the file and both hashes.
     */
    public static void verify(ModelVersion m) throws IOException {
        check(m.name() + " " + m.version(), "model file", Path.of(m.path()), m.sha256());
        for (Adapter a : m.adapters()) check(m.name() + " " + m.version(), "adapter " + a.name(), Path.of(a.path()), a.sha256());
    }

    private static void check(String what, String kind, Path f, String sha256) throws IOException {
        if (!Files.isRegularFile(f)) {
            throw new RegistryException(Kind.CONFLICT, "the " + kind + " of " + what + " is missing: " + f + " (moved or deleted since it was added;"
                    + " put it back, or add the model again)");
        }
        String now = hex(KvDiskStore.sha256(f));
        if (!now.equals(sha256)) {
            throw new RegistryException(Kind.CONFLICT, "hash mismatch: the " + kind + " of " + what + ", " + f + ", has SHA-256 " + now.substring(0, 12)
                    + "… but was added with " + sha256.substring(0, 12) + "… (the file changed; add it as a new version)");
        }
    }

    private static Path existing(Path p, String what) {
        Path f = p.toAbsolutePath().normalize();
        if (!Files.isRegularFile(f)) throw new RegistryException(Kind.INVALID, what + " " + p + " does not exist");
        return f;
    }

    public static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
