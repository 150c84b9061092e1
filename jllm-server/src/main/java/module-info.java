/** The chat service. */
module dev.jllm.server {
    requires transitive dev.jllm.model;
    requires transitive dev.jllm.chat;
    requires com.fasterxml.jackson.databind;
    requires jdk.httpserver;
    requires java.sql;
    requires com.zaxxer.hikari;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    exports dev.jllm.server;
}
