package dev.jllm.model;

import dev.jllm.tensor.FloatOps;
import java.util.ArrayList;
import java.util.List;

/**
 * The LLaMA-family forward pass over a {@link Batch}, reading top to bottom like llama2.c's
 * {@code forward()}: embed → L × [RMSNorm → Q,K,V → RoPE → cache K,V → attention → Wo → residual →
 * RMSNorm → SwiGLU FFN → residual] → RMSNorm → logits.
 *
 * <p>Legend: T tokens in the batch, d = dim, hd = head dim, nh / nkv = query / KV heads,
 * h = hidden (FFN) width, V = vocab. Activations are row-major float arrays, one row per token.
 * Each weight matrix is streamed once per step for all T tokens ({@link Matmul}). Activation
 * buffers are reused between calls, so one forward pass runs at a time (calls are serialised).
 *
 * <p>LoRA per entry: the tokens of an entry that names a {@link LoraWeights} get s·B·(A·x) added
 * to each adapted matrix's output, right after the base product — every entry of the batch still
 * shares the one pass over the base weights.
 */
public final class Transformer {
    private final Weights w;
    private final ModelConfig c;
    private final KvCacheManager kv;
    private final Matmul mm;
    private final float[] invFreq; // (ropeDim/2) RoPE inverse frequencies, with Llama 3 factors applied
    private final int ropeDim;              // rotated dimensions per head (config's rope)
    private final float ropePositionScale;  // linear scaling: positions divided by this
    private final String[][] inputNames;    // per layer: GGUF names of the matrices sharing each input (QKV, O, GATE_UP, DOWN)
    private MatmulObserver observer;        // sees every matrix product's input, or null

    /**
     * Sees the activations entering the weight matrices of each forward pass (llama.cpp's imatrix
     * collector, GPTQ's Hessians): {@code x} holds {@code rows} rows of {@code cols} floats, the input
     * shared by every matrix in {@code tensors} (GGUF names, e.g. blk.0.attn_q/k/v.weight). Called on
     * the forward pass's thread; the array is a reused buffer, valid only during the call.
     */
    @FunctionalInterface
    public interface MatmulObserver {
        void input(String[] tensors, float[] x, int rows, int cols);
    }

    /** Sets (or with null removes) the observer of matrix inputs. */
    public synchronized void observe(MatmulObserver o) {
        this.observer = o;
    }

    public Transformer(Weights weights, KvCacheManager kv, Matmul matmul) {
        this.w = weights;
        this.c = weights.config;
        this.kv = kv;
        this.mm = matmul;
        this.ropeDim = c.rope().dimensionCount();
        this.ropePositionScale = c.rope().positionScale();
        int half = ropeDim / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            double f = Math.pow(c.ropeTheta(), -2.0 * i / ropeDim);
            if (w.ropeFreqFactors != null) f /= w.ropeFreqFactors[i];
            invFreq[i] = (float) f;
        }
        inputNames = new String[c.nLayers()][];
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            inputNames[l] = new String[] {p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight", p + "attn_output.weight",
                p + "ffn_gate.weight", p + "ffn_up.weight", p + "ffn_down.weight"};
        }
    }

    private static final int[] QKV = {0, 1, 2}, O = {3}, GATE_UP = {4, 5}, DOWN = {6};

    private void notify(int layer, int[] which, float[] x, int rows, int cols) {
        MatmulObserver o = observer;
        if (o == null) return;
        String[] names = new String[which.length];
        for (int i = 0; i < which.length; i++) names[i] = inputNames[layer][which[i]];
        o.input(names, x, rows, cols);
    }

    public ModelConfig config() { return c; }

    /** The weights this forward pass reads (package use: tests, GPTQ). */
    Weights weights() { return w; }

    public KvCacheManager cache() { return kv; }

    /**
     * Runs the batch: writes each entry's K/V into its sequence's cache blocks (positions
     * startPos.. ; later positions are dropped first) and returns, per entry, logits for the
     * requested positions: LAST → 1 row, ALL → one row per token, NONE → 0 rows. Rows are (V);
     * HIDDEN → one row per token of the final-normed hidden state, (dim).
     */
    public synchronized List<float[][]> forward(Batch batch) {
        final int T = batch.tokenCount(), d = c.dim();
        final Buffers B = buffers(T);
        final int[] tok = B.tok, pos = B.pos, seq = B.seq;
        final LoraWeights[] ad = B.adapter;
        int maxRank = 0;
        int t0 = 0;
        for (Batch.Entry e : batch.entries()) {
            if (e.adapter() != null) maxRank = Math.max(maxRank, e.adapter().rank);
            kv.beginWrite(e.seq(), e.startPos(), e.startPos() + e.tokens().length);
            for (int i = 0; i < e.tokens().length; i++, t0++) {
                int id = e.tokens()[i];
                if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
                tok[t0] = id;
                pos[t0] = e.startPos() + i;
                seq[t0] = e.seq();
                ad[t0] = e.adapter();
            }
        }
        B.plan.build(batch, c, mm.parallel().threads(), kv.blockTokens);
        final Lora lora = maxRank == 0 ? null : new Lora(ad, T, maxRank);
        final float[] x = B.x;       // (T, d) residual stream
        final float[] xb = B.xb;     // (T, d) normed input of a sub-layer

        // RoPE angles of each token's position, shared by all heads and layers
        for (int t = 0; t < T; t++) ropeAngles(pos[t], B.cos, B.sin, t * (ropeDim / 2));

        // token embedding: x[t] = E[tok[t]]
        for (int t = 0; t < T; t++) w.tokenEmbedding.row(tok[t], x, t * d);

        for (int l = 0; l < c.nLayers(); l++) layer(l, B, T, lora);

        // final RMSNorm and classifier, only for the rows that want logits
        List<float[][]> out = new ArrayList<>(batch.entries().size());
        int[] rows = B.rows;
        int nRows = 0;
        t0 = 0;
        for (Batch.Entry e : batch.entries()) {
            int n = e.tokens().length;
            switch (e.logits()) {
                case ALL -> { for (int i = 0; i < n; i++) rows[nRows++] = t0 + i; }
                case LAST -> rows[nRows++] = t0 + n - 1;
                case NONE, HIDDEN -> { }
            }
            t0 += n;
        }
        float[] xr = xb; // (nRows, d) final-normed rows
        for (int r = 0; r < nRows; r++) FloatOps.rmsnorm(xr, r * d, x, rows[r] * d, w.outputNorm, d, c.rmsEps());
        // one row: logits straight into the array handed out; several: through a shared buffer
        final int V = c.vocabSize();
        float[] logits = nRows == 1 ? new float[V] : B.logits(nRows * V);
        if (nRows > 0 && observer != null) observer.input(new String[] {w.output.name()}, xr, nRows, d);
        if (nRows > 0) mm.matmul(w.output, xr, nRows, logits);
        int r = 0;
        t0 = 0;
        for (Batch.Entry e : batch.entries()) {
            if (e.logits() == Batch.Logits.HIDDEN) { // the same final norm as the classifier's input, for every token
                float[][] o = new float[e.tokens().length][d];
                for (int i = 0; i < o.length; i++) FloatOps.rmsnorm(o[i], 0, x, (t0 + i) * d, w.outputNorm, d, c.rmsEps());
                out.add(o);
                t0 += e.tokens().length;
                continue;
            }
            int n = switch (e.logits()) { case ALL -> e.tokens().length; case LAST -> 1; case NONE, HIDDEN -> 0; };
            float[][] o = new float[n][];
            for (int i = 0; i < n; i++, r++) o[i] = nRows == 1 ? logits : java.util.Arrays.copyOfRange(logits, r * V, (r + 1) * V);
            out.add(o);
            t0 += e.tokens().length;
        }
        return out;
    }

    /** One decoder block over the T tokens in B (x is the residual stream, in and out). */
    private void layer(int l, Buffers B, int T, Lora lora) {
        final int d = c.dim(), hd = c.headDim(), nh = c.nHeads(), nkv = c.nKvHeads();
        final int qd = c.qDim(), kvd = c.kvDim(), h = c.hiddenDim();
        final int[] pos = B.pos, seq = B.seq;
        final float[] x = B.x, xb = B.xb, q = B.q, k = B.k, v = B.v, att = B.att, hb = B.hb, hb2 = B.hb2, tmp = B.tmp;
        Weights.Layer L = w.layers[l];
        // attention RMSNorm
        for (int t = 0; t < T; t++) FloatOps.rmsnorm(xb, t * d, x, t * d, L.attnNorm(), d, c.rmsEps());
        // q = xb·Wqᵀ (+bq), k, v likewise: (T, d) → (T, qd), (T, kvd)
        notify(l, QKV, xb, T, d);
        mm.matmul(xb, T, L.wq(), q, L.wk(), k, L.wv(), v);
        if (lora != null) {
            lora.add(l, LoraTarget.Q, xb, d, q, qd);
            lora.add(l, LoraTarget.K, xb, d, k, kvd);
            lora.add(l, LoraTarget.V, xb, d, v, kvd);
        }
        if (L.bq() != null) for (int t = 0; t < T; t++) FloatOps.add(q, t * qd, L.bq(), qd);
        if (L.bk() != null) for (int t = 0; t < T; t++) FloatOps.add(k, t * kvd, L.bk(), kvd);
        if (L.bv() != null) for (int t = 0; t < T; t++) FloatOps.add(v, t * kvd, L.bv(), kvd);
        // Qwen3: RMSNorm of each q and k head before RoPE
        if (L.qNorm() != null) {
            for (int i = 0; i < T * nh; i++) FloatOps.rmsnorm(q, i * hd, q, i * hd, L.qNorm(), hd, c.rmsEps());
            for (int i = 0; i < T * nkv; i++) FloatOps.rmsnorm(k, i * hd, k, i * hd, L.kNorm(), hd, c.rmsEps());
        }
        // RoPE on every head of q and k at the token's position; then K,V into the cache
        for (int t = 0; t < T; t++) {
            for (int hh = 0; hh < nh; hh++) rope(q, t * qd + hh * hd, B.cos, B.sin, t * (ropeDim / 2));
            for (int hh = 0; hh < nkv; hh++) rope(k, t * kvd + hh * hd, B.cos, B.sin, t * (ropeDim / 2));
            kv.store(seq[t], l, pos[t], k, t * kvd, v, t * kvd);
        }
        // causal attention of each token over its own sequence's cache, positions 0..pos[t]
        attention(l, B, q, att);
        // x += att·Woᵀ
        notify(l, O, att, T, qd);
        mm.matmul(L.wo(), att, T, tmp);
        if (lora != null) lora.add(l, LoraTarget.O, att, qd, tmp, d);
        for (int i = 0; i < T * d; i++) x[i] += tmp[i];
        // FFN: x += (silu(xb·W1ᵀ) ⊙ xb·W3ᵀ)·W2ᵀ
        for (int t = 0; t < T; t++) FloatOps.rmsnorm(xb, t * d, x, t * d, L.ffnNorm(), d, c.rmsEps());
        notify(l, GATE_UP, xb, T, d);
        mm.matmul(xb, T, L.gate(), hb, L.up(), hb2, null, null);
        if (lora != null) {
            lora.add(l, LoraTarget.GATE, xb, d, hb, h);
            lora.add(l, LoraTarget.UP, xb, d, hb2, h);
        }
        FloatOps.swiglu(hb, 0, hb2, 0, T * h);
        notify(l, DOWN, hb, T, h);
        mm.matmul(L.down(), hb, T, tmp);
        if (lora != null) lora.add(l, LoraTarget.DOWN, hb, h, tmp, d);
        for (int i = 0; i < T * d; i++) x[i] += tmp[i];
    }

    /**
     * The token embeddings of {@code tokens} into {@code hidden} (T, dim): the residual stream that
     * enters layer 0 ({@link #forwardLayers}).
     */
    public synchronized void embed(int[] tokens, float[] hidden) {
        for (int t = 0; t < tokens.length; t++) w.tokenEmbedding.row(tokens[t], hidden, t * c.dim());
    }

    /**
     * Runs layers [from, to) over one sequence's T tokens at positions startPos.. : {@code hidden}
     * (T, dim) is the residual stream entering layer {@code from} and leaves as the one after layer
     * {@code to − 1}. Writes those layers' K/V into the sequence's cache (later positions dropped
     * first), so calibration can stream a model layer by layer (GPTQ) with the very kernels of
     * {@link #forward}: running layers 0..L one call at a time equals one forward pass.
     */
    public synchronized void forwardLayers(int seqId, int startPos, float[] hidden, int T, int from, int to) {
        final Buffers B = buffers(T);
        kv.beginWrite(seqId, startPos, startPos + T);
        for (int t = 0; t < T; t++) {
            B.pos[t] = startPos + t;
            B.seq[t] = seqId;
            B.adapter[t] = null;
        }
        B.plan.build(Batch.of(seqId, new int[T], startPos, Batch.Logits.NONE), c, mm.parallel().threads(), kv.blockTokens);
        for (int t = 0; t < T; t++) ropeAngles(B.pos[t], B.cos, B.sin, t * (ropeDim / 2));
        System.arraycopy(hidden, 0, B.x, 0, T * c.dim());
        for (int l = from; l < to; l++) layer(l, B, T, null);
        System.arraycopy(B.x, 0, hidden, 0, T * c.dim());
    }

    /** The LoRA deltas of one forward pass: per token, its entry's adapter (or none). */
    private final class Lora {
        final LoraWeights[] ad;
        final int T, rank;

        Lora(LoraWeights[] ad, int T, int rank) {
            this.ad = ad;
            this.T = T;
            this.rank = rank;
        }

        /** out[t] += s·B·(A·x[t]) for every token t whose adapter adapts (layer, slot); rows of x and out have the given widths. */
        void add(int layer, LoraTarget slot, float[] x, int xw, float[] out, int ow) {
            mm.forPieces(T, 4L * rank * (xw + ow), (from, to) -> {
                float[] u = new float[rank];
                for (int t = from; t < to; t++) {
                    LoraWeights a = ad[t];
                    if (a == null) continue;
                    LoraAdapter.Pair p = a.pair(layer, slot);
                    if (p != null) LoraWeights.addDelta(p, a.scale, x, t * xw, out, t * ow, u);
                }
            });
        }
    }

    /**
     * att = softmax(q·Kᵀ/√hd)·V per query head over its sequence's cache: prefill runs by tiles of rows
     * sharing a KV head (each cache block read once per tile), a decode token by splits of its cached
     * positions (each block read once for all heads) merged per token.
     */
    private void attention(int layer, Buffers B, float[] q, float[] att) {
        final AttentionPlan P = B.plan;
        final int hd = c.headDim(), nh = c.nHeads(), nkv = c.nKvHeads(), qd = c.qDim(), group = nh / nkv;
        if (P.splits > 0) {
            mm.forPieces(P.splits, P.splitCost, (from, to) -> {
                DecodeAttention.Scratch sc = decodeScratch.get();
                for (int u = from; u < to; u++) {
                    AttentionPlan.Split t = P.split[u];
                    DecodeAttention.split(kv, layer, t.seq, t.p0, t.p1, q, t.qBase, nh, nkv, hd, t, sc);
                }
            });
            mm.forPieces(P.decodes, 4L * nh * hd * P.maxSplitsPerToken, (from, to) -> {
                for (int i = from; i < to; i++) DecodeAttention.merge(P.split, P.decodeFrom[i], P.decodeTo[i], nh, hd, att, P.split[P.decodeFrom[i]].qBase);
            });
        }
        if (P.preps > 0) mm.forPieces(P.preps, (long) P.prep[0].keys * hd * 8, (from, to) -> {
            ChunkAttention.Scratch sc = chunkScratch.get();
            for (int u = from; u < to; u++) {
                AttentionPlan.Prep p = P.prep[u];
                ChunkAttention.prepare(kv, layer, p.seq, p.keys, p.kvHead, hd, p.k, p.v, sc);
            }
        });
        if (P.tiles > 0) mm.forPieces(P.tiles, P.tileCost, (from, to) -> {
            ChunkAttention.Scratch sc = chunkScratch.get();
            for (int u = from; u < to; u++) {
                AttentionPlan.Tile t = P.tile[u];
                ChunkAttention.rows(kv, layer, t.seq, t.start, t.r0, t.r1, group, t.kvHead, q, t.qBase, qd, hd, att, sc,
                        t.prep == null ? null : t.prep.k, t.prep == null ? null : t.prep.v);
            }
        });
        if (P.singles > 0) mm.forPieces(P.singles * nh, (long) (P.maxSinglePos + 1) * hd * 2, (from, to) -> { // pieces: later tokens cost more
            float[] scores = scores(P.maxSinglePos + 1);
            for (int i = from; i < to; i++) {
                int t = P.single[i / nh], hh = i % nh, off = t * qd + hh * hd;
                Attention.head(kv, layer, B.seq[t], B.pos[t], q, off, hd, hh / group, att, off, scores);
            }
        });
    }

    /** Activation buffers, kept between calls and grown to the largest batch seen (no allocation per token). */
    private static final class Buffers {
        final int capacity;
        final int[] tok, pos, seq, rows;
        final LoraWeights[] adapter;
        final float[] x, xb, q, k, v, att, hb, hb2, tmp;
        final float[] cos, sin; // (T, ropeDim/2) RoPE angles per token
        private float[] logits = new float[0];
        final AttentionPlan plan = new AttentionPlan();

        Buffers(ModelConfig c, int T, int ropeDim) {
            capacity = T;
            cos = new float[T * ropeDim / 2];
            sin = new float[T * ropeDim / 2];
            tok = new int[T];
            pos = new int[T];
            seq = new int[T];
            rows = new int[T];
            adapter = new LoraWeights[T];
            x = new float[T * c.dim()];
            xb = new float[T * c.dim()];
            q = new float[T * c.qDim()];
            k = new float[T * c.kvDim()];
            v = new float[T * c.kvDim()];
            att = new float[T * c.qDim()];
            hb = new float[T * c.hiddenDim()];
            hb2 = new float[T * c.hiddenDim()];
            tmp = new float[T * c.dim()];
        }

        float[] logits(int n) {
            if (logits.length < n) logits = new float[n];
            return logits;
        }
    }

    private Buffers buffers;
    private final ThreadLocal<float[]> scores = ThreadLocal.withInitial(() -> new float[0]);
    private final ThreadLocal<ChunkAttention.Scratch> chunkScratch = ThreadLocal.withInitial(ChunkAttention.Scratch::new);
    private final ThreadLocal<DecodeAttention.Scratch> decodeScratch = ThreadLocal.withInitial(DecodeAttention.Scratch::new);

    private Buffers buffers(int T) {
        if (buffers == null || buffers.capacity < T) buffers = new Buffers(c, Math.max(T, buffers == null ? 1 : buffers.capacity), ropeDim);
        return buffers;
    }

    /** This thread's attention score scratch, at least n floats. */
    private float[] scores(int n) {
        float[] s = scores.get();
        if (s.length < n) {
            s = new float[Math.max(n, 2 * s.length)];
            scores.set(s);
        }
        return s;
    }

    /** cos/sin of pos·θ_i for the rotated pairs i < ropeDim/2, into cos[off..], sin[off..]. */
    private void ropeAngles(int pos, float[] cos, float[] sin, int off) {
        float p = pos / ropePositionScale;
        for (int i = 0; i < ropeDim / 2; i++) {
            double theta = p * invFreq[i];
            cos[off + i] = (float) Math.cos(theta);
            sin[off + i] = (float) Math.sin(theta);
        }
    }

    /** Rotates one head in place: pairs (2i, 2i+1) for llama, (i, i + n_rot/2) for NeoX-style models. */
    private void rope(float[] x, int off, float[] cosT, float[] sinT, int angleOff) {
        int half = ropeDim / 2;
        for (int i = 0; i < half; i++) {
            float cos = cosT[angleOff + i], sin = sinT[angleOff + i];
            int a = w.arch.neoxRope ? off + i : off + 2 * i;
            int b = w.arch.neoxRope ? off + i + half : off + 2 * i + 1;
            float x0 = x[a], x1 = x[b];
            x[a] = x0 * cos - x1 * sin;
            x[b] = x0 * sin + x1 * cos;
        }
    }
}
