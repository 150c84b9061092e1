package dev.jllm.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A SentencePiece {@code tokenizer.model}: the protobuf {@code ModelProto} (sentencepiece_model.proto),
 * of which the converter needs only the pieces — field 1, repeated {@code SentencePiece
 * {string piece = 1; float score = 2; Type type = 3 [default NORMAL]}} with Type NORMAL 1,
 * UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6 — and NormalizerSpec's
 * add_dummy_prefix (field 3 → field 3). Read with a minimal wire-format parser (varint, fixed32,
 * fixed64, length-delimited), every other field skipped, so no protobuf library is needed.
 *
 * <p>{@link #write} does the reverse for {@code jllm export}: the pieces plus the TrainerSpec
 * (model_type BPE = 2, vocab_size, byte_fallback 35, unk/bos/eos/pad ids 40–43) and NormalizerSpec
 * (name "identity", add_dummy_prefix 3, remove_extra_whitespaces 4 = false, escape_whitespaces 5)
 * that sentencepiece and transformers' LlamaTokenizer need to load it.
 */
record SentencePieceModel(List<Piece> pieces, boolean addDummyPrefix) {

    record Piece(String text, float score, int type) {}

    static SentencePieceModel read(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        List<Piece> pieces = new ArrayList<>();
        boolean dummy = true;
        try {
            while (b.hasRemaining()) {
                long key = varint(b);
                int field = (int) (key >>> 3), wire = (int) (key & 7);
                if (field == 1 && wire == 2) {
                    pieces.add(piece(slice(b)));
                } else if (field == 3 && wire == 2) {
                    ByteBuffer n = slice(b);
                    while (n.hasRemaining()) {
                        long k = varint(n);
                        if ((k >>> 3) == 3 && (k & 7) == 0) dummy = varint(n) != 0;
                        else skip(n, (int) (k & 7));
                    }
                } else {
                    skip(b, wire);
                }
            }
        } catch (RuntimeException e) {
            throw new IOException(p + ": not a SentencePiece model (protobuf parse failed at byte " + b.position() + ": " + e.getMessage() + ")");
        }
        if (pieces.isEmpty()) throw new IOException(p + ": a SentencePiece model with no pieces");
        return new SentencePieceModel(List.copyOf(pieces), dummy);
    }

    private static Piece piece(ByteBuffer b) {
        String text = "";
        float score = 0;
        int type = 1;
        while (b.hasRemaining()) {
            long k = varint(b);
            int f = (int) (k >>> 3), w = (int) (k & 7);
            if (f == 1 && w == 2) {
                ByteBuffer s = slice(b);
                byte[] a = new byte[s.remaining()];
                s.get(a);
                text = new String(a, StandardCharsets.UTF_8);
            } else if (f == 2 && w == 5) {
                score = b.getFloat();
            } else if (f == 3 && w == 0) {
                type = (int) varint(b);
            } else {
                skip(b, w);
            }
        }
        return new Piece(text, score, type);
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b.get();
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) return v;
        }
        throw new IllegalStateException("varint too long");
    }

    private static ByteBuffer slice(ByteBuffer b) {
        int n = Math.toIntExact(varint(b));
        if (n < 0 || n > b.remaining()) throw new IllegalStateException("length " + n + " runs past the end");
        ByteBuffer s = b.slice(b.position(), n).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + n);
        return s;
    }

    private static void skip(ByteBuffer b, int wire) {
        switch (wire) {
            case 0 -> varint(b);
            case 1 -> b.position(b.position() + 8);
            case 2 -> slice(b);
            case 5 -> b.position(b.position() + 4);
            default -> throw new IllegalStateException("wire type " + wire);
        }
    }

    /** The ModelProto bytes; ids < 0 are written as sentencepiece's "none" (-1). */
    byte[] write(int unk, int bos, int eos, int pad) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        boolean bytes = false;
        for (Piece p : pieces) {
            java.io.ByteArrayOutputStream e = new java.io.ByteArrayOutputStream();
            lenField(e, 1, p.text().getBytes(StandardCharsets.UTF_8));
            tag(e, 2, 5);
            int f = Float.floatToRawIntBits(p.score());
            for (int k = 0; k < 4; k++) e.write(f >>> (8 * k));
            if (p.type() != 1) {
                tag(e, 3, 0);
                putVarint(e, p.type());
            }
            lenField(out, 1, e.toByteArray());
            bytes |= p.type() == 6;
        }
        java.io.ByteArrayOutputStream t = new java.io.ByteArrayOutputStream();
        tag(t, 3, 0);
        putVarint(t, 2);
        tag(t, 4, 0);
        putVarint(t, pieces.size());
        tag(t, 35, 0);
        putVarint(t, bytes ? 1 : 0);
        int[] ids = {unk, bos, eos, pad};
        for (int k = 0; k < 4; k++) {
            tag(t, 40 + k, 0);
            putVarint(t, ids[k]); // int32 −1 is a 10-byte varint, as protobuf writes it
        }
        lenField(out, 2, t.toByteArray());
        java.io.ByteArrayOutputStream n = new java.io.ByteArrayOutputStream();
        lenField(n, 1, "identity".getBytes(StandardCharsets.UTF_8));
        tag(n, 3, 0);
        putVarint(n, addDummyPrefix ? 1 : 0);
        tag(n, 4, 0);
        putVarint(n, 0);
        tag(n, 5, 0);
        putVarint(n, 1);
        lenField(out, 3, n.toByteArray());
        return out.toByteArray();
    }

    private static void tag(java.io.ByteArrayOutputStream o, int field, int wire) {
        putVarint(o, (long) field << 3 | wire);
    }

    private static void lenField(java.io.ByteArrayOutputStream o, int field, byte[] payload) {
        tag(o, field, 2);
        putVarint(o, payload.length);
        o.writeBytes(payload);
    }

    private static void putVarint(java.io.ByteArrayOutputStream o, long v) {
        while ((v & ~0x7fL) != 0) {
            o.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        o.write((int) v);
    }
}
