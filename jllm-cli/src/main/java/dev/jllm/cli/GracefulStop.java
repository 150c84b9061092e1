package dev.jllm.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (or SIGTERM) for a training loop: the shutdown hook asks the loop to stop after its current
 * step, then holds the JVM (up to 2 minutes) until the command has written its checkpoint, plot and
 * summary — which it signals by closing this. Used by {@code jllm train}, {@code jllm finetune}, {@code jllm dpo} and {@code jllm rm train}.
 */
final class GracefulStop implements AutoCloseable {
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    GracefulStop(Runnable requestStop, String threadName) {
        hook = new Thread(() -> {
            requestStop.run();
            try {
                finished.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, threadName);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The run has saved what it saves: the JVM may exit now. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C: the JVM is already exiting; the hook is waiting for us
        }
    }
}
