package dev.jllm.tensor;

/**
 * Whether the Vector API is usable in this JVM. Java LLM engines that silently fall back to scalar
 * code when {@code --add-modules jdk.incubator.vector} is missing are slow for no visible reason, so
 * jllm asks here and says so loudly.
 */
public final class VectorSupport {
    private VectorSupport() {}

    /** True if the jdk.incubator.vector module is in the boot layer. */
    public static boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Bits of the preferred float species (e.g. 512 on AVX-512), or 0 if the API is unavailable. */
    public static int preferredBits() {
        if (!available()) return 0;
        return Holder.bits();
    }

    /**
     * Which kernels the quantized and half-precision weights get at this vector width (see {@code Simd},
     * {@link PackedMatrix}, {@link TileKernel}): for {@code jllm doctor}, so a slow machine says why.
     */
    public static String kernels() {
        int bits = preferredBits();
        if (bits >= 512) return "repacked 16-row groups, 16-lane prefill tiles (AVX-512 class)";
        if (bits >= 256) return "repacked groups as two 8-row slices, 8-lane prefill tiles (AVX2 class)";
        if (bits >= 128) return "4-lane row dots, no repacking, no prefill tiles (128-bit: NEON/SSE class)";
        return "scalar reference loops (no usable vector width)";
    }

    /** Loaded only when the module is present, so a missing module is no NoClassDefFoundError. */
    private static final class Holder {
        static int bits() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }
    }
}
