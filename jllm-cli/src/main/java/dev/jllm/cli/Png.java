package dev.jllm.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Writes a PNG through a stream of our own: {@code ImageIO.write(img, "png", File)} prints the JDK's stack trace
 * to stderr when the file cannot be created (then throws "Can't create an ImageOutputStream!"), where this throws
 * the file system's own exception, which names the path.
 */
final class Png {
    private Png() {}

    static void write(BufferedImage img, Path png) throws IOException {
        try (OutputStream out = Files.newOutputStream(png)) {
            if (!ImageIO.write(img, "png", out)) throw new IOException(png + ": no PNG writer in this JDK");
        }
    }
}
