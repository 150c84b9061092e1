package dev.jllm.train;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file written directly: TFRecord framing (u64 length, masked CRC32C of the
 * length, the payload, masked CRC32C of the payload) around hand-encoded {@code Event} protobufs:
 * <pre>
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }     Value { string tag = 1; float simple_value = 2; }
 * </pre>
 * Only scalars; that is all a training curve needs, and it keeps protobuf out of the dependencies.
 */
public final class TensorBoardWriter implements AutoCloseable {
    private final OutputStream out;
    public final Path file;

    public TensorBoardWriter(Path dir) throws IOException {
        Files.createDirectories(dir);
        String host = "jllm";
        this.file = dir.resolve("events.out.tfevents." + System.currentTimeMillis() / 1000 + "." + host);
        this.out = new BufferedOutputStream(Files.newOutputStream(file));
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        wallTime(e);
        bytesField(e, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        record(e.toByteArray());
        out.flush();
    }

    /** Appends one scalar (e.g. "train/loss") at {@code step}. */
    public void scalar(String tag, long step, float value) throws IOException {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        bytesField(v, 1, tag.getBytes(StandardCharsets.UTF_8));
        v.write((2 << 3) | 5);
        writeLE(v, Float.floatToRawIntBits(value), 4);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        bytesField(s, 1, v.toByteArray());
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        wallTime(e);
        e.write(2 << 3);
        varint(e, step);
        bytesField(e, 5, s.toByteArray());
        record(e.toByteArray());
    }

    public void flush() throws IOException { out.flush(); }

    private void record(byte[] data) throws IOException {
        byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        out.write(len);
        writeLE(out, maskedCrc(len, len.length), 4);
        out.write(data);
        writeLE(out, maskedCrc(data, data.length), 4);
    }

    /** TFRecord's masked CRC32C: rotate right by 15 and add a constant (so CRCs of CRCs stay useful). */
    static int maskedCrc(byte[] b, int n) {
        CRC32C c = new CRC32C();
        c.update(b, 0, n);
        int crc = (int) c.getValue();
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

    private static void wallTime(ByteArrayOutputStream e) {
        e.write((1 << 3) | 1);
        writeLE(e, Double.doubleToRawLongBits(System.currentTimeMillis() / 1000.0), 8);
    }

    private static void bytesField(ByteArrayOutputStream o, int field, byte[] b) {
        o.write((field << 3) | 2);
        varint(o, b.length);
        o.writeBytes(b);
    }

    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void writeLE(OutputStream o, long v, int bytes) {
        try {
            for (int i = 0; i < bytes; i++) o.write((int) (v >>> (8 * i)) & 0xff);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
