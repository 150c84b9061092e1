package dev.jllm.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** Total and available RAM: /proc/meminfo on Linux, the OS MXBean elsewhere. */
record MachineMemory(long total, long available, String source) {

    static MachineMemory read() {
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.isReadable(meminfo)) {
            try {
                long total = -1, avail = -1;
                for (String line : Files.readAllLines(meminfo)) {
                    if (line.startsWith("MemTotal:")) total = kib(line);
                    if (line.startsWith("MemAvailable:")) avail = kib(line);
                }
                if (total > 0 && avail > 0) return new MachineMemory(total, avail, "/proc/meminfo");
            } catch (IOException | NumberFormatException ignored) {
                // fall back to the MXBean
            }
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return new MachineMemory(os.getTotalMemorySize(), os.getFreeMemorySize(), "OperatingSystemMXBean");
    }

    private static long kib(String line) {
        String[] p = line.trim().split("\\s+");
        return Long.parseLong(p[1]) * 1024;
    }
}
