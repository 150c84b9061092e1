package dev.jllm.server.store;

import java.util.List;

/**
 * The conversation schema's versioned migrations, one list for both databases so their versions
 * always mean the same tables. Migration i creates schema version i + 1. Append only: never edit a
 * released migration. The dialects differ only where the types must: SQLite's integers are 64-bit
 * and its rowid sequence is {@code AUTOINCREMENT}; PostgreSQL needs {@code BIGINT} and an identity.
 */
final class Migrations {
    private Migrations() {}

    enum Dialect { SQLITE, POSTGRES }

    record Migration(String description, String sqlite, String postgres) {
        String sql(Dialect d) {
            return d == Dialect.SQLITE ? sqlite : postgres;
        }
    }

    private static final String V1 = """
            CREATE TABLE conversations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at BIGINT NOT NULL, metadata TEXT NOT NULL);
            CREATE TABLE responses (id TEXT PRIMARY KEY, owner TEXT NOT NULL, conversation_id TEXT, previous_response_id TEXT,
                status TEXT NOT NULL, model TEXT NOT NULL, instructions TEXT, created_at BIGINT NOT NULL, completed_at BIGINT,
                input_tokens INTEGER, cached_tokens INTEGER, output_tokens INTEGER, error TEXT);
            CREATE TABLE items (seq $SEQ, id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL,
                conversation_id TEXT, response_id TEXT, role TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL,
                created_at BIGINT NOT NULL);
            CREATE INDEX items_by_conversation ON items(conversation_id, seq);
            CREATE INDEX items_by_response ON items(response_id, seq);
            CREATE INDEX responses_by_conversation ON responses(conversation_id)
            """;

    /**
     * Function calls and their outputs as items: the item type (message, function_call,
     * function_call_output), the call's id and function name, and which items a response produced
     * (before: a response's output was its last item, so that is what existing rows get).
     */
    private static final String V2 = """
            ALTER TABLE items ADD COLUMN type TEXT NOT NULL DEFAULT 'message';
            ALTER TABLE items ADD COLUMN call_id TEXT;
            ALTER TABLE items ADD COLUMN name TEXT;
            ALTER TABLE items ADD COLUMN output INTEGER NOT NULL DEFAULT 0;
            UPDATE items SET output = 1 WHERE seq IN (SELECT MAX(seq) FROM items WHERE response_id IS NOT NULL GROUP BY response_id)
            """;

    /**
     * What each answer was made by (issue 18): one row per generation that reached the engine, from
     * every API (chat completions, completions, responses — a stored response's row has its id): the
     * model name, version, file SHA-256 and adapter, the sampling parameters (JSON), token counts,
     * output length in code points, whether the answer was empty or a refusal, TTFT and total time in
     * milliseconds, the replica that served it. The ops report and the drift alarm read it. Existing
     * responses are carried over (version unknown, no timings).
     */
    private static final String V3 = """
            CREATE TABLE generations (id TEXT PRIMARY KEY, created_ms BIGINT NOT NULL, api TEXT NOT NULL, owner TEXT, response_id TEXT,
                conversation_id TEXT, model TEXT NOT NULL, model_version TEXT, model_sha256 TEXT, adapter TEXT, sampling TEXT,
                status TEXT NOT NULL, finish_reason TEXT, error TEXT, prompt_tokens INTEGER, cached_tokens INTEGER, output_tokens INTEGER,
                output_chars INTEGER, empty_answer INTEGER NOT NULL DEFAULT 0, refusal INTEGER NOT NULL DEFAULT 0, ttft_ms $REAL, total_ms $REAL,
                replica TEXT);
            CREATE INDEX generations_by_time ON generations(created_ms);
            CREATE INDEX generations_by_model ON generations(model, model_version, created_ms);
            INSERT INTO generations (id, created_ms, api, owner, response_id, conversation_id, model, status, error, prompt_tokens,
                    cached_tokens, output_tokens, output_chars, empty_answer)
                SELECT r.id, r.created_at * 1000, 'responses', r.owner, r.id, r.conversation_id, r.model, r.status, r.error, r.input_tokens,
                    r.cached_tokens, r.output_tokens,
                    (SELECT COALESCE(SUM(LENGTH(i.content)), 0) FROM items i WHERE i.response_id = r.id AND i.output = 1 AND i.type = 'message'),
                    CASE WHEN r.status IN ('completed', 'incomplete') AND NOT EXISTS (SELECT 1 FROM items i WHERE i.response_id = r.id
                        AND i.output = 1 AND (i.type <> 'message' OR LENGTH(TRIM(i.content)) > 0)) THEN 1 ELSE 0 END
                FROM responses r WHERE r.status <> 'in_progress'
            """;

    /**
     * The model registry (issue 18): versions of a named model (file path, SHA-256, size, LoRA adapters
     * as JSON) and the promotion history — the newest promotion not rolled back is what servers of that
     * name serve; a rollback marks the current one rolled back.
     */
    private static final String V4 = """
            CREATE TABLE model_versions (seq $SEQ, name TEXT NOT NULL, version TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,
                size_bytes BIGINT NOT NULL, adapters TEXT NOT NULL, added_at BIGINT NOT NULL, UNIQUE (name, version));
            CREATE TABLE model_promotions (seq $SEQ, name TEXT NOT NULL, version TEXT NOT NULL, promoted_at BIGINT NOT NULL,
                rolled_back_at BIGINT, action TEXT NOT NULL);
            CREATE INDEX model_promotions_by_name ON model_promotions(name, seq)
            """;

    /**
     * Replicas on one database (issue 18): the servers' heartbeats ({@code instances}), the server that
     * runs each response (so a dead one's are marked incomplete by the others, and only those), the turn
     * a conversation has in progress (a second one at once is refused: 409), and the token sequence a
     * conversation's (or chain's) last turn left, with the model it is valid for, so any replica builds
     * the next prompt from the same ids as the one that answered.
     */
    private static final String V5 = """
            CREATE TABLE instances (id TEXT PRIMARY KEY, address TEXT, started_at BIGINT NOT NULL, heartbeat_at BIGINT NOT NULL);
            ALTER TABLE responses ADD COLUMN instance TEXT;
            ALTER TABLE conversations ADD COLUMN active_response TEXT;
            CREATE TABLE sequences (cache_key TEXT PRIMARY KEY, model_sha256 TEXT NOT NULL, tokens $BLOB NOT NULL, updated_at BIGINT NOT NULL);
            CREATE INDEX responses_in_progress ON responses(status, instance)
            """;

    static final List<Migration> ALL = List.of(
            new Migration("conversations, items, responses",
                    V1.replace("$SEQ", "INTEGER PRIMARY KEY AUTOINCREMENT"),
                    V1.replace("$SEQ", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")),
            new Migration("function_call and function_call_output items", V2, V2),
            new Migration("generations: what each answer was made by", V3.replace("$REAL", "REAL"), V3.replace("$REAL", "DOUBLE PRECISION")),
            new Migration("model registry: versions and promotions", V4.replace("$SEQ", "INTEGER PRIMARY KEY AUTOINCREMENT"),
                    V4.replace("$SEQ", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")),
            new Migration("replicas: instances, response owners, turns in progress, token sequences", V5.replace("$BLOB", "BLOB"),
                    V5.replace("$BLOB", "BYTEA")));
}
