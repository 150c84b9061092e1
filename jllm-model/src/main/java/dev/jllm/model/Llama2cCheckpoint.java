package dev.jllm.model;

import dev.jllm.gguf.GgufFormatException;
import dev.jllm.gguf.GgufTensorInfo;
import dev.jllm.tensor.GgmlType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A llama2.c checkpoint ({@code run.c}'s legacy "version 0" export): a 28-byte header of seven
 * little-endian int32 — dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len — then
 * F32 weights, each kind for all layers at once:
 * <pre>
 * token_embedding (vocab, dim) · rms_att (layer, dim) · wq (layer, dim, dim) · wk (layer, kv_dim, dim)
 * · wv (layer, kv_dim, dim) · wo (layer, dim, dim) · rms_ffn (layer, dim) · w1 (layer, hidden, dim)
 * · w2 (layer, dim, hidden) · w3 (layer, hidden, dim) · rms_final (dim) · freq_cis_real/imag
 * (seq_len, head_size/2) each · wcls (vocab, dim) only if vocab_size was negative (unshared).
 * </pre>
 * The tensors are exposed under their GGUF names with ggml dims (row length first) and offsets from
 * the start of the file, so the rest of jllm treats this file like a GGUF.
 */
public record Llama2cCheckpoint(ModelConfig config, List<GgufTensorInfo> tensors, long fileSize) {

    public static final int HEADER_BYTES = 28;

    public static Llama2cCheckpoint read(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                throw new GgufFormatException(path + ": " + size + " bytes is too short for a llama2.c checkpoint header (28 bytes)", 0);
            }
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (h.hasRemaining() && ch.read(h, h.position()) > 0) { }
            h.flip();
            int dim = h.getInt(), hidden = h.getInt(), layers = h.getInt(), heads = h.getInt(), kvHeads = h.getInt();
            int vocab = h.getInt(), seqLen = h.getInt();
            if (dim == 0x32346b61) { // "ak42": the newer export format
                throw new GgufFormatException(path + ": llama2.c export format version 1/2 ('ak42' magic) is not supported;"
                        + " export with the legacy format (export.py --version 0) or convert to GGUF", 0);
            }
            boolean shared = vocab > 0;
            vocab = Math.abs(vocab);
            for (int[] kv : new int[][] {{dim, 0}, {hidden, 1}, {layers, 2}, {heads, 3}, {kvHeads, 4}, {vocab, 5}, {seqLen, 6}}) {
                if (kv[0] <= 0 || kv[0] > (1 << 24)) {
                    String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
                    throw new GgufFormatException(path + ": offset " + (kv[1] * 4) + ": llama2.c header field " + names[kv[1]] + " = "
                            + kv[0] + " is out of range; not a llama2.c checkpoint?", kv[1] * 4L);
                }
            }
            if (dim % heads != 0 || heads % kvHeads != 0) {
                throw new GgufFormatException(path + ": llama2.c header: dim " + dim + ", n_heads " + heads + ", n_kv_heads " + kvHeads
                        + " are inconsistent (dim % n_heads and n_heads % n_kv_heads must be 0)", 0);
            }
            ModelConfig cfg;
            try {
                cfg = new ModelConfig("llama", dim, hidden, layers, heads, kvHeads, dim / heads, vocab, seqLen, 1e-5f, 10000f, shared);
            } catch (IllegalArgumentException e) {
                throw new GgufFormatException(path + ": " + e.getMessage(), 0);
            }
            List<GgufTensorInfo> t = new ArrayList<>();
            long kvDim = (long) dim * kvHeads / heads;
            long headSize = dim / heads;
            long off = HEADER_BYTES;
            off = add(t, "token_embd.weight", off, dim, vocab);
            off = perLayer(t, "attn_norm", off, layers, dim);
            off = perLayer(t, "attn_q", off, layers, dim, dim);
            off = perLayer(t, "attn_k", off, layers, dim, kvDim);
            off = perLayer(t, "attn_v", off, layers, dim, kvDim);
            off = perLayer(t, "attn_output", off, layers, dim, dim);
            off = perLayer(t, "ffn_norm", off, layers, dim);
            off = perLayer(t, "ffn_gate", off, layers, dim, hidden);
            off = perLayer(t, "ffn_down", off, layers, hidden, dim);
            off = perLayer(t, "ffn_up", off, layers, dim, hidden);
            off = add(t, "output_norm.weight", off, dim);
            off += 2L * seqLen * (headSize / 2) * 4; // freq_cis_real + freq_cis_imag: RoPE tables, recomputed instead
            if (!shared) off = add(t, "output.weight", off, dim, vocab);
            if (off > size) {
                throw new GgufFormatException(path + ": llama2.c checkpoint is truncated: the header (dim " + dim + ", layers " + layers
                        + ", vocab " + vocab + ") needs " + off + " bytes, the file has " + size, size);
            }
            t.sort(java.util.Comparator.comparingInt(Llama2cCheckpoint::ggufOrder));
            return new Llama2cCheckpoint(cfg, List.copyOf(t), size);
        }
    }

    /** Orders tensors as GGUF files do: embedding, then block by block, then the head. */
    private static int ggufOrder(GgufTensorInfo ti) {
        String n = ti.name();
        if (n.startsWith("token_embd")) return -1;
        if (n.startsWith("blk.")) {
            int layer = Integer.parseInt(n.substring(4, n.indexOf('.', 4)));
            return layer * 16 + List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up")
                    .indexOf(n.substring(n.indexOf('.', 4) + 1, n.lastIndexOf('.')));
        }
        return Integer.MAX_VALUE - (n.startsWith("output_norm") ? 1 : 0);
    }

    private static long add(List<GgufTensorInfo> t, String name, long off, long... dims) {
        GgufTensorInfo ti = new GgufTensorInfo(name, dims, GgmlType.F32, off);
        t.add(ti);
        return off + ti.byteSize();
    }

    private static long perLayer(List<GgufTensorInfo> t, String kind, long off, int layers, long... dims) {
        for (int l = 0; l < layers; l++) off = add(t, "blk." + l + "." + kind + ".weight", off, dims);
        return off;
    }
}
