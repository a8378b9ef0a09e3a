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

    /**
     * {@code rows} sums at once, the general form of {@link #sumFourInPlace}: item {@code lid} has
     * written its value for row r to {@code scratch[r * L + lid]} for every {@code r < rows};
     * afterwards {@code scratch[r * L]} holds row r's sum. Items of a group that
     * {@code participates} add; a group that does not still meets every barrier. {@code scratch}
     * holds at least {@code rows * L} floats.
     */
    public static void sumRowsInPlace(KernelContext ctx, float[] scratch, int rows, boolean participates) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        ctx.localBarrier();
        for (int stride = size / 2; stride > 0; stride /= 2) {
            if (participates && lid < stride) {
                for (int r = 0; r < rows; r++) {
                    scratch[r * size + lid] += scratch[r * size + lid + stride];
                }
            }
            ctx.localBarrier();
        }
    }

    /**
     * Column sums over lanes: the group's L items are {@code lanes} lanes of {@code L / lanes}
     * neighbouring items (item {@code lid} is column {@code lid % (L / lanes)} of lane
     * {@code lid / (L / lanes)}); returns the sum of {@code value} over the lanes of the item's
     * column, added as a tree whose order is fixed by {@code lanes} (a power of two dividing L).
     */
    public static float sumAcrossLanes(KernelContext ctx, float[] scratch, float value, int lanes) {
        int lid = ctx.localIdx;
        int width = ctx.localGroupSizeX / lanes;
        int lane = lid / width;
        scratch[lid] = value;
        ctx.localBarrier();
        for (int stride = lanes / 2; stride > 0; stride /= 2) {
            if (lane < stride) {
                scratch[lid] += scratch[lid + stride * width];
            }
            ctx.localBarrier();
        }
        return scratch[lid - lane * width];
    }

    /**
     * Inclusive prefix sum (Hillis-Steele): returns {@code value} of items {@code 0 .. lid}
     * added; afterwards {@code scratch[L - 1]} holds the group's total. Exact for whole-number
     * values whose total stays below 2^24, such as counts, whatever the order of the adds.
     */
    public static float prefixSum(KernelContext ctx, float[] scratch, float value) {
        int lid = ctx.localIdx;
        scratch[lid] = value;
        ctx.localBarrier();
        for (int offset = 1; offset < ctx.localGroupSizeX; offset *= 2) {
            float add = lid >= offset ? scratch[lid - offset] : 0f;
            ctx.localBarrier();
            scratch[lid] += add;
            ctx.localBarrier();
        }
        return scratch[lid];
    }
}
