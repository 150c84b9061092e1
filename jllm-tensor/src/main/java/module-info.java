/** Tensor element types (ggml type ids, block layouts) and CPU kernels. */
module dev.jllm.tensor {
    requires jdk.incubator.vector;
    exports dev.jllm.tensor;
}
