package org.lte4j.runtime.compiler;

import java.util.List;
import java.util.OptionalInt;

/**
 * The compiler's output for one kernel and one target: a self-contained C translation unit that
 * a vendor compiler accepts on its own (OpenCL C for clBuildProgram, CUDA C for NVRTC/nvcc).
 *
 * @param entryName       the name of the {@code __kernel} / {@code extern "C" __global__} function
 * @param source          the full source
 * @param target          its dialect
 * @param params          the Java parameters in order, CONTEXT included; the device ABI skips CONTEXT
 * @param loopBoundParam  index (into params) of the int parameter that bounds the outermost
 *                        {@code @Parallel} loop, used to default the launch size; empty if none
 * @param usesContext     true for KernelContext kernels, which need an explicit grid
 * @param usesBarrier     true when the kernel (or a callee) calls localBarrier
 * @param cacheKey        hash of the bytecode, specialisations and target: the cache key
 */
public record GeneratedKernel(String entryName, String source, Target target, List<ParamKind> params,
                              OptionalInt loopBoundParam, boolean usesContext, boolean usesBarrier,
                              String cacheKey) {
}
