package dev.jllm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An Ollama Modelfile for a converted GGUF: {@code FROM}, a Go-template {@code TEMPLATE} translated
 * from the Jinja chat template when it is one of the two families whose shape is fixed (ChatML —
 * Qwen, SmolLM, OpenHermes — and Llama 3's header tokens), and {@code PARAMETER stop} lines for
 * their end-of-turn markers. Any other template is not guessed at: the Modelfile says so in a
 * comment and {@link #translated} is false, so the caller can tell the user.
 */
record OllamaModelfile(String text, boolean translated, String family) {

    static OllamaModelfile of(Path gguf, String chatTemplate) {
        StringBuilder b = new StringBuilder();
        b.append("FROM ").append(gguf.toAbsolutePath().normalize()).append('\n');
        String family = null;
        List<String> stops = new ArrayList<>();
        if (chatTemplate != null && chatTemplate.contains("<|im_start|>")) {
            family = "chatml";
            b.append("TEMPLATE \"\"\"{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}")
                    .append("{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n\"\"\"\n");
            stops.add("<|im_start|>");
            stops.add("<|im_end|>");
        } else if (chatTemplate != null && chatTemplate.contains("<|start_header_id|>")) {
            family = "llama3";
            b.append("TEMPLATE \"\"\"{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}")
                    .append("{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}")
                    .append("<|start_header_id|>assistant<|end_header_id|>\n\n\"\"\"\n");
            stops.add("<|start_header_id|>");
            stops.add("<|end_header_id|>");
            stops.add("<|eot_id|>");
        } else {
            b.append(chatTemplate == null
                    ? "# no chat template in the model: Ollama will run it as a plain completion model\n"
                    : "# TEMPLATE not written: the chat template is neither ChatML nor Llama 3; translate it to a Go template by hand\n");
        }
        for (String s : stops) b.append("PARAMETER stop \"").append(s).append("\"\n");
        return new OllamaModelfile(b.toString(), family != null, family);
    }
}
