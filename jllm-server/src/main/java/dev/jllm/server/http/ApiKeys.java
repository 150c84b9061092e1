package dev.jllm.server.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * API keys: {@code Authorization: Bearer KEY}. Only SHA-256 hashes are kept (in memory and, as the
 * owner of conversations and responses, in the database); the hash is the owner id. Lookup is by
 * hash, so comparing never touches the secret itself. Without a key file every request is owned by
 * {@link #LOCAL_OWNER} (the server then binds loopback only, see {@code ChatServer}).
 */
public final class ApiKeys {
    public static final String LOCAL_OWNER = "local";

    private final Set<String> hashes; // null = authentication disabled

    private ApiKeys(Set<String> hashes) {
        this.hashes = hashes;
    }

    public static ApiKeys disabled() {
        return new ApiKeys(null);
    }

    /** One key per line; blank lines and lines starting with '#' are skipped. */
    public static ApiKeys load(Path file) throws IOException {
        Set<String> h = new HashSet<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String k = line.strip();
            if (k.isEmpty() || k.startsWith("#")) continue;
            if (k.length() < 16) throw new IllegalArgumentException(file + ": API keys must be at least 16 characters long");
            h.add(sha256Hex(k));
        }
        if (h.isEmpty()) throw new IllegalArgumentException(file + ": no API keys in the file (one key per line)");
        return new ApiKeys(h);
    }

    public static ApiKeys ofKeys(String... keys) {
        Set<String> h = new HashSet<>();
        for (String k : keys) h.add(sha256Hex(k));
        return new ApiKeys(h);
    }

    public boolean enabled() {
        return hashes != null;
    }

    /** Whether a key with this SHA-256 (hex) is one of these. */
    boolean containsHash(String sha256Hex) {
        return hashes != null && hashes.contains(sha256Hex);
    }

    public int size() {
        return hashes == null ? 0 : hashes.size();
    }

    /** The owner id for a request's Authorization header; 401 if keys are on and it is missing or unknown. */
    public String owner(String authorization) {
        if (hashes == null) return LOCAL_OWNER;
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                    "missing API key: send the header 'Authorization: Bearer YOUR_KEY'", 0);
        }
        String h = sha256Hex(authorization.substring(7).strip());
        if (!hashes.contains(h)) throw new ApiException(401, "invalid_request_error", null, "invalid_api_key", "incorrect API key provided", 0);
        return h;
    }

    public static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
