package dev.jllm.server.store;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Unguessable object ids with OpenAI-style prefixes (chatcmpl-…, conv_…, resp_…, msg_…). */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    public static String next(String prefix) {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }
}
