package dev.jllm.server.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The admin key of {@code /admin/*} ({@code jllm serve --admin-key FILE}): one key, separate from the
 * users' API keys (a users' key never opens an admin endpoint, and the same key may not be both).
 * Kept as its SHA-256; compared in constant time. Without one the admin endpoints do not exist (404).
 */
public final class AdminKey {
    private final byte[] hash; // null: admin endpoints off

    private AdminKey(byte[] hash) {
        this.hash = hash;
    }

    public static AdminKey disabled() {
        return new AdminKey(null);
    }

    public static AdminKey of(String key) {
        if (key == null || key.strip().length() < 16) throw new IllegalArgumentException("the admin key must be at least 16 characters long");
        return new AdminKey(sha256(key.strip()));
    }

    /** The first line of {@code file} that is not blank or a '#' comment. */
    public static AdminKey load(Path file) throws IOException {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String k = line.strip();
            if (k.isEmpty() || k.startsWith("#")) continue;
            if (k.length() < 16) throw new IllegalArgumentException(file + ": the admin key must be at least 16 characters long");
            return new AdminKey(sha256(k));
        }
        throw new IllegalArgumentException(file + ": no admin key in the file (one line)");
    }

    public boolean enabled() {
        return hash != null;
    }

    /** True if this key is also one of the users' keys (refused at start: the two must differ). */
    public boolean isAmong(ApiKeys users) {
        return hash != null && users.containsHash(java.util.HexFormat.of().formatHex(hash));
    }

    /** 401 unless the header carries the admin key. */
    void check(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ApiException(401, "invalid_request_error", null, "invalid_admin_key",
                    "admin endpoints need the admin key: send 'Authorization: Bearer ADMIN_KEY' (the users' API keys do not open them)", 0);
        }
        if (!MessageDigest.isEqual(hash, sha256(authorization.substring(7).strip()))) {
            throw new ApiException(401, "invalid_request_error", null, "invalid_admin_key", "incorrect admin key (the users' API keys do not open admin endpoints)", 0);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
