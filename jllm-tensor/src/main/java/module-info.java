/**
 * Tensor element types and CPU kernels: {@code GgmlType} (ggml type ids, block layouts); a
 * {@code BlockFormat} per type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS) with
 * llama.cpp-exact quantizers and a scalar reference beside each Vector API dot kernel; {@code FloatOps}
 * (dot, RMSNorm, softmax, SwiGLU, F16 operands), each beside its scalar reference; repacked
 * matrices ({@code PackedMatrix}) and the prefill tile ({@code TileKernel}); attention's block products
 * ({@code AttentionKernels}); {@code VectorMath} (exp and lane sums giving the same bits in every JIT tier); the
 * {@code Parallel} worker pool; {@code VectorSupport} and a memory
 * bandwidth probe.
 */
module dev.jllm.tensor {
    requires jdk.incubator.vector;
    exports dev.jllm.tensor;
}
