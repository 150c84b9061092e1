package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the event file back frame by frame, checking both CRCs and the scalar's bytes. */
class TensorBoardWriterTest {
    @Test
    void framesCarryValidMaskedCrcsAndTheScalar(@TempDir Path dir) throws Exception {
        Path file;
        try (TensorBoardWriter w = new TensorBoardWriter(dir)) {
            w.scalar("train/loss", 7, 2.5f);
            file = w.file;
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int records = 0;
        byte[] last = null;
        while (b.hasRemaining()) {
            byte[] len = new byte[8];
            b.get(len);
            assertEquals(TensorBoardWriter.maskedCrc(len, 8), b.getInt(), "length CRC");
            byte[] data = new byte[(int) ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong()];
            b.get(data);
            assertEquals(TensorBoardWriter.maskedCrc(data, data.length), b.getInt(), "data CRC");
            records++;
            last = data;
        }
        assertEquals(2, records, "file_version event + one scalar");
        String s = new String(last, java.nio.charset.StandardCharsets.ISO_8859_1);
        assert s.contains("train/loss");
        int at = s.indexOf("train/loss") + "train/loss".length();
        assertEquals(0x15, last[at]); // field 2, fixed32
        assertEquals(2.5f, ByteBuffer.wrap(last, at + 1, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
        assertEquals(0x10, last[9]); // after wall_time (1 tag + 8 bytes): step field
        assertEquals(7, last[10]);
    }

    @Test
    void maskedCrcOfKnownInput() {
        // CRC32C("123456789") = 0xE3069283 (RFC 3720); masked per TFRecord
        int crc = 0xE3069283;
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        assertEquals(masked, TensorBoardWriter.maskedCrc("123456789".getBytes(), 9));
    }
}
