package org.lte4j.runtime.graph;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/** Kernels used by the task-graph tests. */
public final class GraphTestKernels {
    private GraphTestKernels() {
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

    /** Work-group tree reduction in local memory: one partial sum per group. Needs barriers. */
    public static void groupSum(KernelContext ctx, FloatArray in, FloatArray partial, int n) {
        float[] scratch = ctx.allocateFloatLocalArray(64);
        int lid = ctx.localIdx;
        int gid = ctx.globalIdx;
        scratch[lid] = gid < n ? in.get(gid) : 0f;
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                scratch[lid] += scratch[lid + stride];
            }
            ctx.localBarrier();
        }
        if (lid == 0) {
            partial.set(ctx.groupIdx, scratch[0]);
        }
    }
}
