package org.lte4j.kernels;

import org.lte4j.runtime.api.KernelContext;

/**
 * Work-group tree reductions in local memory, called from kernels (they compile to inline
 * helper functions taking a {@code __local} / {@code __shared__} pointer). Every work-item of
 * the group must call them, with its own value, and the group size must be a power of two.
 * They start and end with a barrier, so the caller may read the result at once and must pass
 * another barrier before it writes {@code scratch} again.
 */
public final class GroupReduce {
    private GroupReduce() {
    }

    /** The sum of every item's {@code value} (added as a tree: item 0's order is fixed by the group size). */
    public static float sum(KernelContext ctx, float[] scratch, float value) {
        int lid = ctx.localIdx;
        scratch[lid] = value;
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                scratch[lid] += scratch[lid + stride];
            }
            ctx.localBarrier();
        }
        return scratch[0];
    }

    /** The maximum of every item's {@code value} (Java's Math.max: NaN wins, -0 below +0). */
    public static float max(KernelContext ctx, float[] scratch, float value) {
        int lid = ctx.localIdx;
        scratch[lid] = value;
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                scratch[lid] = Math.max(scratch[lid], scratch[lid + stride]);
            }
            ctx.localBarrier();
        }
        return scratch[0];
    }

    /**
     * Four sums at once: item {@code lid} has written its four values to {@code scratch[lid]},
     * {@code scratch[L + lid]}, {@code scratch[2L + lid]} and {@code scratch[3L + lid]}; afterwards
     * {@code scratch[k * L]} holds the k-th sum. Items of a group that {@code participates} add;
     * a group that does not still meets every barrier (a return before a barrier is not allowed).
     */
    public static void sumFourInPlace(KernelContext ctx, float[] scratch, boolean participates) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        ctx.localBarrier();
        for (int stride = size / 2; stride > 0; stride /= 2) {
            if (participates && lid < stride) {
                scratch[lid] += scratch[lid + stride];
                scratch[size + lid] += scratch[size + lid + stride];
                scratch[2 * size + lid] += scratch[2 * size + lid + stride];
                scratch[3 * size + lid] += scratch[3 * size + lid + stride];
            }
            ctx.localBarrier();
        }
    }
}
