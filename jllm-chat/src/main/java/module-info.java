/** Chat templates: messages → prompt text with the model's own Jinja template. */
module dev.jllm.chat {
    requires transitive dev.jllm.gguf;
    exports dev.jllm.chat;
}
