package dev.jllm.server.store;

import java.util.List;
import java.util.Optional;

/**
 * Named models and their versions, kept in the conversation store's database so every replica sees
 * the same registry: {@code jllm models add/list/promote/rollback} write it, {@code jllm serve
 * --registry NAME} serves the promoted version of NAME and follows promotions and rollbacks.
 * Files are not read here (the caller hashes and checks them: {@code dev.jllm.server.Registry}).
 */
public interface ModelRegistry {

    /** A LoRA adapter served with a version, as {@code NAME:ADAPTER}. */
    record Adapter(String name, String path, String sha256) {}

    /**
     * @param promoted whether this is the version servers of {@code name} serve now
     */
    record ModelVersion(String name, String version, String path, String sha256, long sizeBytes, List<Adapter> adapters, long addedAt,
                        boolean promoted) {
        /** The SHA-256's first 12 hex digits. */
        public String shortHash() {
            return sha256.substring(0, Math.min(12, sha256.length()));
        }
    }

    /** One entry of the promotion history: {@code action} promote or rollback (a rollback entry names the version it went back to). */
    record Promotion(long seq, String name, String version, long promotedAt, Long rolledBackAt, String action) {}

    /** A refused registry operation; the message says what and what to do. */
    final class RegistryException extends RuntimeException {
        /** NOT_FOUND: unknown name or version; CONFLICT: a version that exists, nothing to roll back to, a file missing or changed; INVALID: a bad name or file. */
        public enum Kind { NOT_FOUND, CONFLICT, INVALID }

        public final Kind kind;

        public RegistryException(Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        public RegistryException(String message) {
            this(Kind.CONFLICT, message);
        }
    }

    /**
     * Records a version; {@code version} null picks the next {@code vN}. Refused if the version exists.
     */
    ModelVersion addVersion(String name, String version, String path, String sha256, long sizeBytes, List<Adapter> adapters);

    /** Versions of {@code name} (every name when null), oldest first, the promoted one marked. */
    List<ModelVersion> versions(String name);

    Optional<ModelVersion> version(String name, String version);

    /** The version servers of {@code name} serve now, if any was promoted. */
    Optional<ModelVersion> promoted(String name);

    /** Makes {@code version} the served one (it must exist). */
    ModelVersion promote(String name, String version);

    /**
     * Back to the version promoted before the current one: the current promotion is marked rolled
     * back and the newest earlier promotion of another version that is not rolled back serves again.
     * Refused when there is none.
     */
    ModelVersion rollback(String name);

    /** The version {@link #rollback} would go back to now (refused as it would be). */
    ModelVersion rollbackTarget(String name);

    /** The promotion history of {@code name}, newest first. */
    List<Promotion> promotions(String name);
}
