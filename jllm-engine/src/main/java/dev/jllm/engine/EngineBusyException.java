package dev.jllm.engine;

/** The engine cannot take more work now (queue full, or shutting down); HTTP makes it a 429/503 with Retry-After. */
public final class EngineBusyException extends Exception {
    private final int retryAfterSeconds;
    private final boolean shuttingDown;

    public EngineBusyException(String message, int retryAfterSeconds, boolean shuttingDown) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
        this.shuttingDown = shuttingDown;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** True when the engine is stopping (not merely full). */
    public boolean shuttingDown() {
        return shuttingDown;
    }
}
