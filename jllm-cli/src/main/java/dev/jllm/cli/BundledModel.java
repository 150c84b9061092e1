package dev.jllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The default model of {@code jllm serve} and {@code jllm chat}: stories260K until jllm-chat, the
 * bilingual chat model of {@code jllm demo build --scale full}, passes its recall bar (docs/TRAINING.md).
 */
final class BundledModel {
    private BundledModel() {}

    static final String PATH = "testdata/models/stories260K.gguf";

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
