package dev.jllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The default model of {@code jllm serve} and {@code jllm chat}: jllm-chat, the 1.3 M-parameter bilingual chat
 * model built by {@code jllm demo build --scale full} (its card, models/jllm-chat.q8_0.md, has the data, commands,
 * losses and recall); stories260K stays for tests.
 */
final class BundledModel {
    private BundledModel() {}

    static final String PATH = "models/jllm-chat.q8_0.gguf";

    /** The bundled model: relative to the working directory, else to the repository the jar was built in. */
    static Path path() {
        Path here = Path.of(PATH);
        if (Files.exists(here)) return here;
        try {
            Path p = Path.of(BundledModel.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            for (; p != null; p = p.getParent()) if (Files.exists(p.resolve(PATH))) return p.resolve(PATH);
        } catch (java.net.URISyntaxException | SecurityException e) {
            // fall through: report the relative path as missing
        }
        return here;
    }
}
