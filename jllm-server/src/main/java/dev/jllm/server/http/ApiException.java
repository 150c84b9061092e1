package dev.jllm.server.http;

/**
 * An error the client should see, in OpenAI's shape {@code {"error":{"message","type","param","code"}}}.
 * Thrown anywhere in request handling; the router turns it into the response.
 */
public final class ApiException extends RuntimeException {
    public final int status;
    public final String type;
    public final String param;
    public final String code;
    public final int retryAfterSeconds; // 0 = no Retry-After header

    public ApiException(int status, String type, String param, String code, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 naming the offending field. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message, 0);
    }

    public static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message, 0);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "invalid_request_error", null, "not_found", message, 0);
    }

    public static ApiException busy(String message, int retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", null, "rate_limit_exceeded", message, Math.max(1, retryAfterSeconds));
    }
}
