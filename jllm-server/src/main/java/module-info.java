/**
 * The chat service around the engine: {@code dev.jllm.server.http} (the OpenAI-compatible HTTP edge:
 * routing, auth, limits, SSE, the three generating APIs and the Conversations API),
 * {@code dev.jllm.server.store} (conversations in SQLite or PostgreSQL, versioned migrations),
 * {@code dev.jllm.server.metrics} (Prometheus), and {@link dev.jllm.server.ChatServer}, the wiring.
 */
module dev.jllm.server {
    requires transitive dev.jllm.engine;
    requires transitive dev.jllm.chat;
    requires dev.jllm.grammar;
    requires com.fasterxml.jackson.databind;
    requires jdk.httpserver;
    requires java.sql;
    requires java.logging;
    requires java.management;
    requires com.zaxxer.hikari;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    exports dev.jllm.server;
    exports dev.jllm.server.http;
    exports dev.jllm.server.store;
    exports dev.jllm.server.metrics;
    exports dev.jllm.server.registry;
    exports dev.jllm.server.ops;
}
