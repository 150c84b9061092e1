/** The chat service: HTTP API, conversations, store, scheduler. */
package dev.jllm.server;
