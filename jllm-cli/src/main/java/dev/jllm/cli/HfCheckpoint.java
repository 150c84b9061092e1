package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face model directory as the converter reads it: {@code config.json} and the weights,
 * one {@code model.safetensors} or the shards listed by {@code model.safetensors.index.json}
 * (its {@code weight_map}: tensor name → shard file). Files are opened and validated, tensors are
 * only mapped when read, so opening a 1B checkpoint costs a few header reads.
 */
final class HfCheckpoint implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Where one tensor lives. */
    record Source(Safetensors file, Safetensors.Info info) {}

    final Path dir;
    final JsonNode config;
    private final List<Safetensors> files;
    private final Map<String, Source> tensors;

    private HfCheckpoint(Path dir, JsonNode config, List<Safetensors> files, Map<String, Source> tensors) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        this.tensors = tensors;
    }

    static HfCheckpoint open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + " is not a directory; give the Hugging Face model directory (config.json + *.safetensors)");
        JsonNode config = readJson(dir.resolve("config.json"), true);
        List<Path> shards = new ArrayList<>();
        Path index = dir.resolve("model.safetensors.index.json");
        Path single = dir.resolve("model.safetensors");
        Map<String, String> weightMap = null;
        if (Files.isRegularFile(index)) {
            JsonNode wm = readJson(index, true).path("weight_map");
            if (!wm.isObject() || wm.isEmpty()) throw new IOException(index + ": has no weight_map object (tensor name → shard file)");
            weightMap = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
                var e = it.next();
                String f = e.getValue().asText();
                weightMap.put(e.getKey(), f);
                Path p = dir.resolve(f);
                if (!shards.contains(p)) shards.add(p);
            }
        } else if (Files.isRegularFile(single)) {
            shards.add(single);
        } else {
            try (var s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().forEach(shards::add);
            }
            if (shards.isEmpty()) {
                throw new IOException(dir + ": no model.safetensors, model.safetensors.index.json or *.safetensors file"
                        + " (PyTorch .bin checkpoints are not read: save the model with safe_serialization=True)");
            }
        }
        List<Safetensors> open = new ArrayList<>();
        Map<String, Source> tensors = new LinkedHashMap<>();
        try {
            for (Path p : shards) {
                if (!Files.isRegularFile(p)) throw new IOException(index + " names shard " + dir.relativize(p) + ", which does not exist");
                Safetensors st = Safetensors.open(p);
                open.add(st);
                for (Safetensors.Info i : st.tensors()) {
                    if (weightMap != null && !p.getFileName().toString().equals(weightMap.get(i.name()))) {
                        throw new IOException(p + ": holds tensor '" + i.name() + "', which " + index.getFileName() + " places in "
                                + weightMap.get(i.name()));
                    }
                    Source prev = tensors.put(i.name(), new Source(st, i));
                    if (prev != null) throw new IOException("tensor '" + i.name() + "' is in both " + prev.file().path() + " and " + p);
                }
            }
            if (weightMap != null) {
                for (String name : weightMap.keySet()) {
                    if (!tensors.containsKey(name)) throw new IOException(index + ": tensor '" + name + "' is not in its shard " + weightMap.get(name));
                }
            }
        } catch (IOException | RuntimeException e) {
            for (Safetensors s : open) s.close();
            throw e;
        }
        return new HfCheckpoint(dir, config, List.copyOf(open), tensors);
    }

    /** The tensor named {@code name}, or null. */
    Source tensor(String name) { return tensors.get(name); }

    Iterable<String> tensorNames() { return tensors.keySet(); }

    /** A JSON file of the directory; absent and optional → null. */
    static JsonNode readJson(Path p, boolean required) throws IOException {
        if (!Files.isRegularFile(p)) {
            if (required) throw new IOException(p + " is missing; a Hugging Face model directory needs it");
            return null;
        }
        try {
            return JSON.readTree(p.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(p + ": not valid JSON: " + e.getOriginalMessage());
        }
    }

    // ---- config.json fields, with errors naming the file and key

    int requiredInt(String... keys) throws IOException {
        Integer v = optInt(keys);
        if (v == null) throw new IOException(dir.resolve("config.json") + ": missing " + String.join(" / ", keys) + " (an integer)");
        return v;
    }

    Integer optInt(String... keys) throws IOException {
        for (String k : keys) {
            JsonNode n = config.get(k);
            if (n == null || n.isNull()) continue;
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
                throw new IOException(dir.resolve("config.json") + ": " + k + " must be a positive integer, got " + n);
            }
            return n.asInt();
        }
        return null;
    }

    Double optNumber(String key) throws IOException {
        JsonNode n = config.get(key);
        if (n == null || n.isNull()) return null;
        if (!n.isNumber()) throw new IOException(dir.resolve("config.json") + ": " + key + " must be a number, got " + n);
        return n.asDouble();
    }

    @Override
    public void close() throws IOException {
        for (Safetensors s : files) s.close();
    }
}
