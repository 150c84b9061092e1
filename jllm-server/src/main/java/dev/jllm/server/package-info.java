/** The chat service's wiring: {@link dev.jllm.server.ChatServer} (model → engine → store → HTTP) and its options. */
package dev.jllm.server;
