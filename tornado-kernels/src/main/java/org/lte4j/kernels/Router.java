package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * The LTE router at decode (DESIGN.md section 5): router logits split over column slices
 * ({@link #logitsFourExpertsSplitK}), then the experts whose summed logit is above the
 * threshold's logit compacted into an ascending list on the device
 * ({@link #compactActiveExpertsSummingSlices}, or inside the fp16 gate/up kernels of
 * {@link Experts}), so the expert kernels that follow read the list and the host never waits for
 * the router.
 */
public final class Router {
    private Router() {
    }

    /**
     * Router logits {@code z[e] = sum_c w[e * dim + c] * x[c]} (fp32 weights, {@code experts x dim}
     * row-major), four experts per work-group so each x load serves four rows, two loads per row
     * in flight. No sigmoid: compaction compares logits with the threshold's logit
     * ({@code sigmoid(z) > tau} exactly when {@code z > ln(tau / (1 - tau))}), which also keeps
     * tau = 0 meaning "every expert" where an fp32 sigmoid would round a very negative logit to 0.
     * Split-K: the columns are cut into {@code slices} runs of {@code ceil(dim / slices)} (one
     * slice: the plain GEMV) and each (four experts, slice) pair is its own work-group, so a router of a few hundred experts still fills a GPU (344 experts make 86
     * groups unsplit; with 8 slices, 688). Writes the partial logit of expert e over slice s to
     * {@code partialLogits[s * experts + e]}; {@link #compactActiveExpertsSummingSlices} adds the
     * slices in ascending order, so the logit is the same on every device and grid.
     * Grid: exactly {@code ceil(experts / 4) * slices} groups, {@code WorkerGrid.of(ceil(experts / 4) * slices * L, L)},
     * L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}; group g does experts
     * {@code 4 * (g % ceil(experts / 4)) ..} over slice {@code g / ceil(experts / 4)}.
     * Traffic: reads 4 * experts * dim bytes of weights (x once per group, from cache), writes
     * 4 * experts * slices.
     */
    public static void logitsFourExpertsSplitK(KernelContext ctx, FloatArray w, FloatArray x, FloatArray partialLogits,
                                               int experts, int dim, int slices) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int quads = (experts + 3) / 4;
        int slice = ctx.groupIdx / quads;
        int e0 = (ctx.groupIdx - slice * quads) * 4;
        int run = (dim + slices - 1) / slices;
        int end = Math.min(slice * run + run, dim);
        long b0 = (long) e0 * dim;
        long b1 = (long) Math.min(e0 + 1, experts - 1) * dim;
        long b2 = (long) Math.min(e0 + 2, experts - 1) * dim;
        long b3 = (long) Math.min(e0 + 3, experts - 1) * dim;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int c = slice * run + lid;
        for (; c + size < end; c += 2 * size) {
            int k = c + size;
            float xc = x.get(c);
            float xk = x.get(k);
            s0 += w.get(b0 + c) * xc + w.get(b0 + k) * xk;
            s1 += w.get(b1 + c) * xc + w.get(b1 + k) * xk;
            s2 += w.get(b2 + c) * xc + w.get(b2 + k) * xk;
            s3 += w.get(b3 + c) * xc + w.get(b3 + k) * xk;
        }
        for (; c < end; c += size) {
            float xc = x.get(c);
            s0 += w.get(b0 + c) * xc;
            s1 += w.get(b1 + c) * xc;
            s2 += w.get(b2 + c) * xc;
            s3 += w.get(b3 + c) * xc;
        }
        scratch[lid] = s0;
        scratch[size + lid] = s1;
        scratch[2 * size + lid] = s2;
        scratch[3 * size + lid] = s3;
        GroupReduce.sumFourInPlace(ctx, scratch, true);
        if (lid < 4 && e0 + lid < experts) {
            partialLogits.set((long) slice * experts + e0 + lid, scratch[lid * size]);
        }
    }

    /** Expert e's logit from {@link #logitsFourExpertsSplitK}'s partials: slices added in ascending order. */
    static float sumSlices(FloatArray partialLogits, int slices, int experts, int e) {
        float z = 0f;
        for (int s = 0; s < slices; s++) {
            z += partialLogits.get((long) s * experts + e);
        }
        return z;
    }

    /** How many experts {@code first .. end - 1} have a summed logit ({@link #sumSlices}) above {@code minLogit}. */
    static int activeInRange(FloatArray partialLogits, int slices, float minLogit, int experts, int first, int end) {
        int active = 0;
        for (int e = first; e < end; e++) {
            if (sumSlices(partialLogits, slices, experts, e) > minLogit) {
                active++;
            }
        }
        return active;
    }

    /**
     * Stage-2 routing on split-K partial logits: {@code activeIds[0 .. count)} = the experts whose
     * logit, the sum of its {@code slices} partials from {@link #logitsFourExpertsSplitK}
     * (ascending, {@link #sumSlices}), is above {@code minLogit}, in ascending order;
     * {@code activeCount[0] = count}; slots from count on are left as they were. The slice sum is
     * fused here, so split-K costs no extra launch. Deterministic: one work-group, item t owns a
     * contiguous run of {@code ceil(experts / L)} experts, counts its active ones, an inclusive
     * scan in local memory ({@link GroupReduce#prefixSum}) gives each item its first slot, and
     * items write their ids in order.
     * Grid: exactly one group, {@code WorkerGrid.of(L, L)}, L a power of two at most
     * {@link GroupLimits#MAX_LOCAL_SIZE}. Traffic: reads the partials twice
     * (8 * slices * experts bytes, from cache the second time), writes 4 * (count + 1).
     */
    public static void compactActiveExpertsSummingSlices(KernelContext ctx, FloatArray partialLogits, int slices, float minLogit,
                                                         IntArray activeIds, IntArray activeCount, int experts) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int run = (experts + size - 1) / size;
        int first = Math.min(lid * run, experts);
        int end = Math.min(first + run, experts);
        int mine = activeInRange(partialLogits, slices, minLogit, experts, first, end);
        int upToMine = (int) GroupReduce.prefixSum(ctx, scratch, mine);
        int slot = upToMine - mine;
        for (int e = first; e < end; e++) {
            if (sumSlices(partialLogits, slices, experts, e) > minLogit) {
                activeIds.set(slot, e);
                slot++;
            }
        }
        if (lid == size - 1) {
            activeCount.set(0, upToMine);
        }
    }
}
