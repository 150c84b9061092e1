package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plot that cannot be written fails with the path, and prints no stack trace on its way (the JDK's File variant does). */
class PngTest {
    @TempDir Path dir;

    @Test
    void aMissingDirectoryIsAnErrorNamingThePathWithNothingOnStderr() throws Exception {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        Path png = dir.resolve("gone/train.png");
        PrintStream err = System.err;
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        System.setErr(new PrintStream(seen, true));
        try {
            NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Png.write(img, png));
            assertEquals(png.toString(), e.getFile());
        } finally {
            System.setErr(err);
        }
        assertEquals("", seen.toString(), "nothing printed to stderr");
        Png.write(img, dir.resolve("ok.png"));
        byte[] b = Files.readAllBytes(dir.resolve("ok.png"));
        assertTrue(b.length > 8 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', "a PNG");
    }
}
