package org.lte4j.runtime.backend.cuda;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/**
 * Java kernels the smoke check compiles with the runtime's own compiler, to check the whole path
 * Java bytecode -> CUDA C -> NVRTC -> device. Same results as {@link CudaSampleKernels}.
 */
public final class CudaSmokeKernels {
    private CudaSmokeKernels() {
    }

    public static void saxpy(float alpha, FloatArray x, FloatArray y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            y.set(i, alpha * x.get(i) + y.get(i));
        }
    }

    /** One partial sum per work-group of 256 through local memory and barriers. */
    public static void blockSums(KernelContext context, FloatArray in, FloatArray partial, int n) {
        float[] tile = context.allocateFloatLocalArray(256);
        int lid = context.localIdx;
        float acc = 0.0f;
        for (int i = context.globalIdx; i < n; i += context.globalGroupSizeX) {
            acc += in.get(i);
        }
        tile[lid] = acc;
        context.localBarrier();
        for (int s = context.localGroupSizeX / 2; s > 0; s >>= 1) {
            if (lid < s) {
                tile[lid] += tile[lid + s];
            }
            context.localBarrier();
        }
        if (lid == 0) {
            partial.set(context.groupIdx, tile[0]);
        }
    }
}
