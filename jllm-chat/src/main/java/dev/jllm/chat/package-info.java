/** Chat templates: messages → prompt text with the model's own Jinja template. */
package dev.jllm.chat;
