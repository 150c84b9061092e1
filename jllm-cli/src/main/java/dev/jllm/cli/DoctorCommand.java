package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jllm.model.LlamaLayout;
import dev.jllm.model.MemoryPlan;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.ModelFile;
import dev.jllm.tensor.GgmlType;
import dev.jllm.tensor.MemoryBandwidth;
import dev.jllm.tensor.VectorSupport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm doctor}: is this JVM and machine set up to run LLMs fast, and how fast can they be. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check the JDK, the Vector API, cores, heap and RAM, measure memory bandwidth,",
            "and estimate the decode speed it allows (decode reads every weight once per token)."})
final class DoctorCommand implements Callable<Integer> {

    /** Llama-3.2-1B's shape: the reference point when no --model is given. */
    static final ModelConfig LLAMA_32_1B = new ModelConfig("llama", 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5f, 500000f, true);

    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", description = "estimate decode speed for this model instead of a Llama-3.2-1B shape")
    Path model;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "1.5", description = "time spent measuring bandwidth (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--json", description = "print JSON instead of text")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (seconds <= 0 || seconds > 60) throw new IllegalArgumentException("--seconds must be in (0, 60], got " + seconds);
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> r = new LinkedHashMap<>();
        Runtime rt = Runtime.getRuntime();
        int cores = rt.availableProcessors();
        boolean vector = VectorSupport.available();
        int feature = Runtime.version().feature();
        MachineMemory ram = MachineMemory.read();
        r.put("java_version", System.getProperty("java.runtime.version"));
        r.put("java_vendor", System.getProperty("java.vendor"));
        r.put("java_home", System.getProperty("java.home"));
        r.put("java_feature_version", feature);
        r.put("vector_api", vector);
        r.put("vector_bits", VectorSupport.preferredBits());
        r.put("kernels", VectorSupport.kernels());
        r.put("cores", cores);
        r.put("max_heap_bytes", rt.maxMemory());
        r.put("ram_total_bytes", ram.total());
        r.put("ram_available_bytes", ram.available());
        if (!json) {
            out.printf("JDK           %s %s (%s)%s%n", System.getProperty("java.vendor"), System.getProperty("java.runtime.version"),
                    System.getProperty("java.home"), feature < 25 ? "  WARNING: jllm needs JDK 25+" : "");
            if (vector) {
                out.printf("Vector API    available, preferred species %d bits (%d floats per vector)%n",
                        VectorSupport.preferredBits(), VectorSupport.preferredBits() / 32);
                out.printf("kernels       %s%n", VectorSupport.kernels());
            } else {
                out.println("Vector API    MISSING  <-- kernels will be many times slower");
                out.println("              fix: start the JVM with --add-modules jdk.incubator.vector (./jllm does this for you)");
            }
            out.printf("cores         %d%n", cores);
            out.printf("max heap      %s (-Xmx); weights and KV cache live off-heap%n", Units.bytes(rt.maxMemory()));
            out.printf("RAM           %s total, %s available (%s)%n", Units.bytes(ram.total()), Units.bytes(ram.available()), ram.source());
            out.flush();
        }
        if (!vector) {
            r.put("bandwidth_skipped", "Vector API missing");
        } else {
            long per = 256L << 20;
            long ms = (long) (seconds * 1000 / 2);
            MemoryBandwidth.Result one = MemoryBandwidth.measure(1, per, ms);
            MemoryBandwidth.Result all = MemoryBandwidth.measure(cores, per, ms);
            double bw = all.bytesPerSecond();
            r.put("bandwidth_1_thread_bytes_per_s", (long) one.bytesPerSecond());
            r.put("bandwidth_all_threads_bytes_per_s", (long) bw);
            Map<String, Long> modelBytes = new LinkedHashMap<>();
            String what;
            if (model != null) {
                try (ModelFile mf = ModelFile.open(model)) {
                    modelBytes.put(mf.path().getFileName().toString(), mf.tensorBytes());
                }
                what = "this model";
            } else {
                var t = LlamaLayout.tensors(LLAMA_32_1B, GgmlType.F32);
                for (GgmlType type : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.F16}) {
                    modelBytes.put("Llama-3.2-1B shape " + type, MemoryPlan.weightBytes(t, type).bytes());
                }
                what = "a Llama-3.2-1B-shaped model";
            }
            Map<String, Double> tokps = new LinkedHashMap<>();
            modelBytes.forEach((k, v) -> tokps.put(k, bw / v));
            r.put("decode_upper_bound_tok_per_s", tokps);
            if (!json) {
                out.printf(Locale.ROOT, "bandwidth     %.1f GB/s with 1 thread, %.1f GB/s with %d threads (read, %.1f s)%n",
                        one.bytesPerSecond() / 1e9, bw / 1e9, cores, seconds);
                out.println("implication   decode is memory-bound: tok/s <= bandwidth / bytes read per token (" + what + ")");
                modelBytes.forEach((k, v) -> out.printf(Locale.ROOT, "              %-32s %.1f GB/s / %.2f GB = %.1f tok/s at most%n",
                        k, bw / 1e9, v / 1e9, bw / v));
            }
        }
        if (json) out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        out.flush();
        return vector && feature >= 25 ? 0 : 3;
    }
}
