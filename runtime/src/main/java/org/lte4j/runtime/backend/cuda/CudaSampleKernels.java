package org.lte4j.runtime.backend.cuda;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;

import org.lte4j.runtime.compiler.GeneratedKernel;
import org.lte4j.runtime.compiler.ParamKind;
import org.lte4j.runtime.compiler.Target;

/**
 * Hand-written CUDA C kernels that check the backend on its own, independent of the Java kernel
 * compiler: the smoke check and the GPU tests build them with {@link CudaDevice#build(GeneratedKernel)}.
 */
public final class CudaSampleKernels {
    private CudaSampleKernels() {
    }

    /** {@code y[i] = alpha * x[i] + y[i]} as a grid-stride loop; params (float, FloatArray x, FloatArray y, int n). */
    public static final GeneratedKernel SAXPY = kernel("saxpy", """
            extern "C" __global__ void saxpy(float alpha, const float* x, float* y, int n) {
                for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
                    y[i] = alpha * x[i] + y[i];
                }
            }
            """, List.of(ParamKind.FLOAT, ParamKind.FLOAT_ARRAY, ParamKind.FLOAT_ARRAY, ParamKind.INT),
            OptionalInt.of(3), false, false);

    /**
     * One partial sum per block through shared memory and barriers: {@code partial[block]} = sum of
     * the elements this block's threads stride over. Blocks of exactly 256 threads; params
     * (KernelContext, FloatArray in, FloatArray partial, int n).
     */
    public static final GeneratedKernel BLOCK_SUMS = kernel("block_sums", """
            extern "C" __global__ void block_sums(const float* in, float* partial, int n) {
                __shared__ float tile[256];
                int lid = threadIdx.x;
                float acc = 0.0f;
                for (int i = blockIdx.x * blockDim.x + lid; i < n; i += gridDim.x * blockDim.x) {
                    acc += in[i];
                }
                tile[lid] = acc;
                __syncthreads();
                for (int s = blockDim.x / 2; s > 0; s >>= 1) {
                    if (lid < s) {
                        tile[lid] += tile[lid + s];
                    }
                    __syncthreads();
                }
                if (lid == 0) {
                    partial[blockIdx.x] = tile[0];
                }
            }
            """, List.of(ParamKind.CONTEXT, ParamKind.FLOAT_ARRAY, ParamKind.FLOAT_ARRAY, ParamKind.INT),
            OptionalInt.empty(), true, true);

    /**
     * Every scalar kind of the ABI in one launch: {@code f[i] = (float) (sign * factor * (i + offset))},
     * {@code k[i] = (int) (i + offset)}, with sign -1 when {@code negate}; params (FloatArray f,
     * IntArray k, long offset, double factor, boolean negate, int n).
     */
    public static final GeneratedKernel ABI_MIX = kernel("abi_mix", """
            extern "C" __global__ void abi_mix(float* f, int* k, long long offset, double factor, int negate, int n) {
                for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
                    double v = factor * (double) (i + offset);
                    f[i] = (float) (negate ? -v : v);
                    k[i] = (int) (i + offset);
                }
            }
            """, List.of(ParamKind.FLOAT_ARRAY, ParamKind.INT_ARRAY, ParamKind.LONG, ParamKind.DOUBLE, ParamKind.BOOLEAN,
            ParamKind.INT), OptionalInt.of(5), false, false);

    /** Source that NVRTC must reject, to check that its log reaches the exception. */
    public static final GeneratedKernel BROKEN = kernel("broken", """
            extern "C" __global__ void broken(float* y, int n) {
                y[0] = undeclared_variable;
            }
            """, List.of(ParamKind.FLOAT_ARRAY, ParamKind.INT), OptionalInt.of(1), false, false);

    private static GeneratedKernel kernel(String entry, String source, List<ParamKind> params, OptionalInt loopBound,
                                          boolean usesContext, boolean usesBarrier) {
        return new GeneratedKernel(entry, source, Target.CUDA_C, params, loopBound, usesContext, usesBarrier,
                "handwritten-" + entry + "-" + sha256(source).substring(0, 16));
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
