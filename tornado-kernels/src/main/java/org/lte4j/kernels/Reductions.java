package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * Whole-array reductions in work-group local memory. A large array reduces in two launches:
 * a {@code ...Partials} kernel leaves one value per work-group, then the {@code ...SingleGroup}
 * kernel of the same operation folds those partials (or a small array directly) with one group.
 * The order of every addition depends only on the grid, so results are reproducible.
 *
 * <p>Every kernel here needs a power-of-two work-group size of at most
 * {@link GroupLimits#MAX_LOCAL_SIZE}.
 */
public final class Reductions {
    private Reductions() {
    }

    /**
     * {@code partials[g] = sum of in[i]} over the elements work-group {@code g} visits: work-item
     * {@code t} adds {@code in[t], in[t + G], ...} ({@code G} the global size), then the group
     * adds its items' sums as a tree.
     * Grid: 1-D, any number of groups ({@code partials} holds one float per group).
     * Traffic: reads 4n bytes, writes 4 bytes per group.
     */
    public static void sumPartials(KernelContext ctx, FloatArray in, FloatArray partials, int n) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        float sum = 0f;
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            sum += in.get(i);
        }
        float total = GroupReduce.sum(ctx, scratch, sum);
        if (lid == 0) {
            partials.set(ctx.groupIdx, total);
        }
    }

    /**
     * {@code partials[g] = max of in[i]} over the elements work-group {@code g} visits (as in
     * {@link #sumPartials}); a group that visits none writes negative infinity.
     * Grid: 1-D, any number of groups. Traffic: reads 4n bytes, writes 4 bytes per group.
     */
    public static void maxPartials(KernelContext ctx, FloatArray in, FloatArray partials, int n) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            max = Math.max(max, in.get(i));
        }
        float total = GroupReduce.max(ctx, scratch, max);
        if (lid == 0) {
            partials.set(ctx.groupIdx, total);
        }
    }

    /**
     * {@code out[0] = sum of in[0..n)} computed by one work-group (item {@code t} adds
     * {@code in[t], in[t + L], ...}, then a tree). The second pass after {@link #sumPartials}.
     * Grid: exactly one group, {@code WorkerGrid.of(L, L)}. Traffic: reads 4n bytes, writes 4.
     */
    public static void sumSingleGroup(KernelContext ctx, FloatArray in, FloatArray out, int n) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        float sum = 0f;
        for (int i = lid; i < n; i += ctx.localGroupSizeX) {
            sum += in.get(i);
        }
        float total = GroupReduce.sum(ctx, scratch, sum);
        if (lid == 0) {
            out.set(0, total);
        }
    }

    /**
     * {@code out[0] = max of in[0..n)} (negative infinity when n is 0) computed by one work-group.
     * Grid: exactly one group. Traffic: reads 4n bytes, writes 4.
     */
    public static void maxSingleGroup(KernelContext ctx, FloatArray in, FloatArray out, int n) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = lid; i < n; i += ctx.localGroupSizeX) {
            max = Math.max(max, in.get(i));
        }
        float total = GroupReduce.max(ctx, scratch, max);
        if (lid == 0) {
            out.set(0, total);
        }
    }

    /**
     * Greedy decoding on the device: {@code result[0] = the smallest i < n with in[i] maximal}
     * (NaNs are never chosen; -1 when n is 0 or every element is NaN). One work-group scans the
     * array and reduces (value, index) pairs as a tree, ties to the lower index.
     * Grid: exactly one group. Traffic: reads 4n bytes, writes 4.
     */
    public static void argmaxSingleGroup(KernelContext ctx, FloatArray in, IntArray result, int n) {
        float[] values = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int[] indices = ctx.allocateIntLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        float best = Float.NEGATIVE_INFINITY;
        int bestIndex = -1;
        for (int i = lid; i < n; i += ctx.localGroupSizeX) {
            float v = in.get(i);
            // ascending i and a strict comparison keep the first maximum; the index test admits -inf
            if (v > best || bestIndex < 0 && v == v) {
                best = v;
                bestIndex = i;
            }
        }
        values[lid] = best;
        indices[lid] = bestIndex;
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                int otherIndex = indices[lid + stride];
                float other = values[lid + stride];
                int mineIndex = indices[lid];
                float mine = values[lid];
                boolean takeOther = otherIndex >= 0
                        && (mineIndex < 0 || other > mine || other == mine && otherIndex < mineIndex);
                if (takeOther) {
                    values[lid] = other;
                    indices[lid] = otherIndex;
                }
            }
            ctx.localBarrier();
        }
        if (lid == 0) {
            result.set(0, indices[0]);
        }
    }
}
