package dev.jllm.tensor;

/** The {@link BlockFormat} of each supported {@link GgmlType}. */
public final class BlockFormats {
    private BlockFormats() {}

    /** True if jllm can compute with weights of this type. */
    public static boolean supported(GgmlType t) {
        return switch (t) {
            case F32 -> true;
            default -> false;
        };
    }

    public static BlockFormat of(GgmlType t) {
        return switch (t) {
            case F32 -> F32Format.INSTANCE;
            default -> throw new IllegalArgumentException("weight type " + t + " is not supported yet; supported: F32");
        };
    }
}
