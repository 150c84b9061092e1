package dev.jllm.server;

/** The server cannot take more work now; becomes 429 with Retry-After. */
public final class ServerBusyException extends Exception {
    private final int retryAfterSeconds;

    public ServerBusyException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
