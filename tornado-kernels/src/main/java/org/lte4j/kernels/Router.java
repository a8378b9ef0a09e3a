package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * The LTE router at decode (DESIGN.md section 5): score every expert, then compact the experts
 * whose gate exceeds the threshold into a list on the device, so the expert kernels that follow
 * read the list and the host never waits for the router.
 */
public final class Router {
    private Router() {
    }

    /**
     * {@code gates[e] = sigmoid(sum_c w[e * dim + c] * x[c])} for {@code e < experts}: a GEMV
     * over the router's fp32 weights ({@code experts x dim}, row-major), one work-group per
     * expert, tree reduction in local memory, sigmoid by item 0.
     * Grid: {@code WorkerGrid.of(experts * L, L)} (fewer groups loop), L a power of two at most
     * {@link GroupLimits#MAX_LOCAL_SIZE}. Traffic: reads 4 * experts * dim bytes, writes 4 * experts.
     */
    public static void scoreExperts(KernelContext ctx, FloatArray w, FloatArray x, FloatArray gates, int experts, int dim) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        for (int e = ctx.groupIdx; e < experts; e += groups) {
            long base = (long) e * dim;
            float sum = 0f;
            for (int c = lid; c < dim; c += size) {
                sum += w.get(base + c) * x.get(c);
            }
            scratch[lid] = sum;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    scratch[lid] += scratch[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                gates.set(e, Activations.sigmoid(scratch[0]));
            }
            ctx.localBarrier();
        }
    }

    /**
     * Stage-2 routing: {@code activeIds[0 .. count)} = the experts with {@code gates[e] > threshold}
     * in ascending order, {@code activeCount[0] = count}; slots from count on are left as they
     * were. Deterministic: one work-group, item t owns a contiguous run of
     * {@code ceil(experts / L)} experts, counts its active ones, an inclusive scan in local
     * memory (Hillis-Steele) gives each item its first slot, and items write their ids in order.
     * Grid: exactly one group, {@code WorkerGrid.of(L, L)}, L a power of two at most
     * {@link GroupLimits#MAX_LOCAL_SIZE}. Traffic: reads gates twice (8 * experts bytes), writes
     * 4 * (count + 1).
     */
    public static void compactActiveExperts(KernelContext ctx, FloatArray gates, float threshold,
                                            IntArray activeIds, IntArray activeCount, int experts) {
        int[] counts = ctx.allocateIntLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int run = (experts + size - 1) / size;
        int first = Math.min(lid * run, experts);
        int end = Math.min(first + run, experts);
        int mine = 0;
        for (int e = first; e < end; e++) {
            if (gates.get(e) > threshold) {
                mine++;
            }
        }
        counts[lid] = mine;
        ctx.localBarrier();
        for (int offset = 1; offset < size; offset *= 2) {
            int add = lid >= offset ? counts[lid - offset] : 0;
            ctx.localBarrier();
            counts[lid] += add;
            ctx.localBarrier();
        }
        int slot = counts[lid] - mine;
        for (int e = first; e < end; e++) {
            if (gates.get(e) > threshold) {
                activeIds.set(slot, e);
                slot++;
            }
        }
        if (lid == size - 1) {
            activeCount.set(0, counts[lid]);
        }
    }
}
