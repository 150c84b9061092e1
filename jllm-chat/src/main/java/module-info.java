/** Chat templates and prompts: messages → prompt text with the model's own Jinja template → prompt tokens (guards, truncation, token splice). */
module dev.jllm.chat {
    requires transitive dev.jllm.gguf;
    requires transitive dev.jllm.tokenizer;
    // Jinjava has no module descriptor nor Automatic-Module-Name: its automatic name comes from the jar name.
    requires jinjava;
    requires com.fasterxml.jackson.databind;
    requires java.desktop; // java.beans.FeatureDescriptor appears in the EL resolver API
    exports dev.jllm.chat;
    // Jinjava calls template functions (raise_exception, strftime_now) by reflection with setAccessible.
    opens dev.jllm.chat to jinjava;
}
