package dev.jllm.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM for tests that need a process of their own (a server to kill, a JIT tier to
 * limit): this JVM's java, the module and native-access flags the engine needs (not the heap size or surefire's
 * agents), the caller's options, this JVM's class path and the main class.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** {@code java FLAGS jvmOptions... -cp CLASSPATH mainClass}; append the program's arguments to the returned list. */
    public static List<String> command(String mainClass, String... jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        for (String a : ProcessHandle.current().info().arguments().orElseThrow()) {
            if (a.startsWith("--add-modules") || a.startsWith("--enable-native-access") || a.startsWith("--add-opens")
                    || a.startsWith("--add-exports") || a.startsWith("-XX:+Use")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        return cmd;
    }
}
