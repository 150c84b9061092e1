package dev.jllm.tensor;

import java.util.ArrayList;
import java.util.List;

/** The {@link BlockFormat} of each supported {@link GgmlType}. */
public final class BlockFormats {
    private BlockFormats() {}

    /** True if jllm can compute with weights of this type. */
    public static boolean supported(GgmlType t) {
        return switch (t) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS -> true;
            default -> false;
        };
    }

    /** Every supported type, in ggml id order. */
    public static List<GgmlType> supportedTypes() {
        List<GgmlType> out = new ArrayList<>();
        for (GgmlType t : GgmlType.values()) if (supported(t)) out.add(t);
        return List.copyOf(out);
    }

    public static BlockFormat of(GgmlType t) {
        return switch (t) {
            case F32 -> F32Format.INSTANCE;
            case F16 -> F16Format.INSTANCE;
            case BF16 -> BF16Format.INSTANCE;
            case Q8_0 -> Q8_0Format.INSTANCE;
            case Q4_0 -> Q4_0Format.INSTANCE;
            case Q4_1 -> Q4_1Format.INSTANCE;
            case Q5_0 -> Q5_0Format.INSTANCE;
            case Q5_1 -> Q5_1Format.INSTANCE;
            case Q4_K -> Q4_KFormat.INSTANCE;
            case Q5_K -> Q5_KFormat.INSTANCE;
            case Q6_K -> Q6_KFormat.INSTANCE;
            case IQ4_NL -> IQ4_NLFormat.INSTANCE;
            case IQ4_XS -> IQ4_XSFormat.INSTANCE;
            default -> throw new IllegalArgumentException(
                    "weight type " + t + " is not supported yet; supported: " + supportedTypes());
        };
    }
}
