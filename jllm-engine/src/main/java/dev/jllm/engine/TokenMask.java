package dev.jllm.engine;

/**
 * A per-request constraint on which token may come next — the seam for grammar-constrained
 * decoding (JSON schemas, tool-call formats). A {@link Slot} calls {@link #apply} on the raw logits
 * before the sampler sees them (so penalties, temperature and top-k/p only ever choose among allowed
 * tokens), then {@link #accept} with the token sampled. Called on the thread that decodes the
 * request (the scheduler's); one instance serves one request.
 */
public interface TokenMask {
    /**
     * Sets the logit of every token that must not come next to {@link Float#NEGATIVE_INFINITY}. At
     * least one token must stay allowed (an end-of-generation token when the constraint is complete).
     */
    void apply(float[] logits);

    /** The token that was sampled: advance the constraint's state. */
    void accept(int token);
}
