package dev.jllm.server.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.logging.Logger;

/**
 * Tells whether the client of an exchange is still connected while its handler waits for a
 * non-streaming answer and writes nothing — the case where a write cannot reveal a gone client.
 *
 * <p>How: the JDK HttpServer hands the handler a connection whose channel is in blocking mode and
 * no longer watched by its selector, so nobody reads from it until the response is written. A
 * non-blocking one-byte read on that channel, done by the waiting handler thread itself (the only
 * thread touching it at that moment), returns -1 when the client closed its side (FIN), throws when
 * it was reset (RST), and 0 while the client simply waits. The channel is put back in blocking mode
 * before the handler goes on. If the read returns data, the client pipelined its next request: that
 * byte is consumed, probing stops, and the response carries {@code Connection: close}, so the
 * client retries that request on a new connection (RFC 9112 §9.3.2 lets a server close after any
 * response; clients that pipeline must retry).
 *
 * <p>Limit: a client that half-closes its side after sending the request (shutdown of output, as
 * some HTTP/1.0 tools do) and still waits for the answer looks gone: its request is cancelled. No
 * common client (curl, browsers, the openai SDKs, Python requests/httpx, the JDK HttpClient) does;
 * they send the request and keep the connection open. Telling the two apart would need a write,
 * which a non-streaming answer cannot make before it is ready.
 *
 * <p>Why not another HTTP server: the JDK server exposes no socket, but the channel is reachable by
 * reflection ({@code --add-opens jdk.httpserver/sun.net.httpserver=ALL-UNNAMED}, set in the POM's
 * {@code jllm.jvm.flags} for the launcher and tests). This keeps every handler, the SSE path and the
 * virtual-thread model as they are; a Netty/Jetty port would be a rewrite of the edge for this one
 * signal. Without the flag (an embedder's JVM), {@link #of} returns a probe that never reports a
 * gone client, and says so once in the log: non-streaming requests then run to their end, as before.
 */
final class ClientProbe {
    private static final Logger LOG = Logger.getLogger(ClientProbe.class.getName());
    private static final Field IMPL, CONNECTION, CHANNEL;
    private static volatile boolean warned;

    static {
        Field impl = null, conn = null, chan = null;
        try {
            impl = accessible(Class.forName("sun.net.httpserver.HttpExchangeImpl"), "impl");
            conn = accessible(Class.forName("sun.net.httpserver.ExchangeImpl"), "connection");
            chan = accessible(Class.forName("sun.net.httpserver.HttpConnection"), "chan");
        } catch (ReflectiveOperationException | RuntimeException e) {
            impl = conn = chan = null;
        }
        IMPL = impl;
        CONNECTION = conn;
        CHANNEL = chan;
    }

    private static Field accessible(Class<?> c, String name) throws NoSuchFieldException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true); // InaccessibleObjectException without --add-opens: caught above
        return f;
    }

    private final HttpExchange ex;
    private final SocketChannel channel; // null: cannot probe
    private final ByteBuffer one = ByteBuffer.allocate(1);
    private boolean stopped;

    private ClientProbe(HttpExchange ex, SocketChannel channel) {
        this.ex = ex;
        this.channel = channel;
    }

    /** A probe for this exchange's connection (one that never reports a gone client when the channel is out of reach). */
    static ClientProbe of(HttpExchange ex) {
        SocketChannel ch = null;
        if (IMPL != null && IMPL.getDeclaringClass().isInstance(ex)) {
            try {
                ch = (SocketChannel) CHANNEL.get(CONNECTION.get(IMPL.get(ex)));
            } catch (ReflectiveOperationException | ClassCastException e) {
                ch = null;
            }
        }
        if (ch == null && !warned) {
            warned = true;
            LOG.warning("cannot watch client connections (run the JVM with --add-opens jdk.httpserver/sun.net.httpserver=ALL-UNNAMED):"
                    + " a non-streaming client that disconnects keeps its generation running to the end");
        }
        return new ClientProbe(ex, ch);
    }

    /** True once the client has closed or reset its connection; never blocks. */
    boolean gone() {
        if (channel == null || stopped) return false;
        try {
            synchronized (channel.blockingLock()) {
                channel.configureBlocking(false);
                try {
                    int n = channel.read(one);
                    one.clear();
                    if (n < 0) return true;
                    if (n > 0) {
                        // a pipelined request: it cannot be handed back to the server, so end this connection after the answer
                        stopped = true;
                        ex.getResponseHeaders().set("Connection", "close");
                    }
                    return false;
                } finally {
                    channel.configureBlocking(true);
                }
            }
        } catch (IOException e) {
            return true; // reset by the peer, or the channel was closed under us
        }
    }
}
