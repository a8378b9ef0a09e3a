package org.lte4j.runtime.backend.opencl;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/** Java kernels that go through the real compiler to OpenCL C; the JVM backend runs them as the reference. */
public final class OpenClTestJavaKernels {
    private OpenClTestJavaKernels() {
    }

    public static void saxpy(float alpha, FloatArray x, FloatArray y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            y.set(i, alpha * x.get(i) + y.get(i));
        }
    }

    public static void scale(FloatArray y, float factor, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            y.set(i, y.get(i) * factor);
        }
    }

    /** One partial sum per work-group of at most 128 work-items, through local memory and barriers. */
    public static void reduceSum(FloatArray in, FloatArray partial, int n, KernelContext ctx) {
        float[] scratch = ctx.allocateFloatLocalArray(128);
        int lid = ctx.localIdx;
        float acc = 0f;
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            acc += in.get(i);
        }
        scratch[lid] = acc;
        ctx.localBarrier();
        for (int s = ctx.localGroupSizeX / 2; s > 0; s >>= 1) {
            if (lid < s) {
                scratch[lid] += scratch[lid + s];
            }
            ctx.localBarrier();
        }
        if (lid == 0) {
            partial.set(ctx.groupIdx, scratch[0]);
        }
    }
}
