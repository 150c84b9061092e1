package dev.jllm.tensor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The POM's {@code jllm.jit.flags} (surefire's argLine and the launcher's jvm.options) name kernels that C2 must
 * compile on their own: {@code -XX:CompileCommand=dontinline,CLASS::METHOD}. The JVM does not check the names
 * (the flags come with {@code quiet}), so a renamed or moved kernel would silently drop out and be inlined — and
 * boxed past C2's node budget — again. Every named method must exist.
 */
class JitFlagsTest {

    @Test
    void everyDontinlineFlagNamesAnExistingMethod() throws ClassNotFoundException {
        List<String> targets = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-XX:CompileCommand=dontinline,")) targets.add(a.substring(a.indexOf(',') + 1));
        }
        assertFalse(targets.isEmpty(), "no -XX:CompileCommand=dontinline flags: is surefire's argLine ${jllm.jvm.flags}? "
                + ManagementFactory.getRuntimeMXBean().getInputArguments());
        for (String t : targets) {
            int sep = t.indexOf("::");
            assertTrue(sep > 0, "not CLASS::METHOD: " + t);
            Class<?> c = Class.forName(t.substring(0, sep));
            String m = t.substring(sep + 2);
            assertTrue(Arrays.stream(c.getDeclaredMethods()).map(Method::getName).anyMatch(m::equals),
                    t + ": " + c.getSimpleName() + " has no method " + m + " (renamed? update jllm.jit.flags in the root pom.xml)");
        }
    }
}
