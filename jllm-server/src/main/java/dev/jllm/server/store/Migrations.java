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

    static final List<Migration> ALL = List.of(
            new Migration("conversations, items, responses",
                    V1.replace("$SEQ", "INTEGER PRIMARY KEY AUTOINCREMENT"),
                    V1.replace("$SEQ", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")),
            new Migration("function_call and function_call_output items", V2, V2));
}
