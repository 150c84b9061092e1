package dev.jllm.gguf;

import dev.jllm.tensor.GgmlType;

/**
 * One tensor's header entry. {@code dims} are in ggml order: {@code dims[0]} is the row length
 * (the fastest-varying axis), so a PyTorch weight of shape (out, in) is stored as dims {in, out}.
 * {@code offset} is relative to the start of the tensor-data section.
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {

    public GgufTensorInfo {
        dims = dims.clone();
    }

    /** Number of elements (product of dims). */
    public long elementCount() {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Bytes of this tensor's data. */
    public long byteSize() {
        return type.bytes(elementCount(), dims[0]);
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** Dims like {@code [64, 512]}. */
    public String shape() {
        return java.util.Arrays.toString(dims);
    }
}
