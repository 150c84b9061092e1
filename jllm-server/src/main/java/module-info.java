/** The chat service. */
module dev.jllm.server {
    requires transitive dev.jllm.model;
    requires transitive dev.jllm.chat;
    requires com.fasterxml.jackson.databind;
    requires jdk.httpserver;
    requires java.sql;
    exports dev.jllm.server;
}
