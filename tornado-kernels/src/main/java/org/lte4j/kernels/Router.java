package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/**
 * The LTE router at decode (DESIGN.md section 5): router logits split over column slices
 * ({@link #logitsFourExpertsSplitK}), then the experts whose summed logit is above the
 * threshold's logit compacted into an ascending list on the device
 * ({@link #compactActiveExpertsSummingSlices}, or {@link #compactActiveExpertsOfNormedSlices}
 * where the router also folded in the FFN's RMSNorm), so the expert kernels that follow read the
 * list and the host never waits for the router. On CPU OpenCL the logits are an item-per-row
 * GEMV and one item compacts them ({@link #compactActiveExpertsInOneItem}).
 */
public final class Router {
    private Router() {
    }

    /**
     * Router logits over a weighted input, {@code z[e] = sum_c w[e * dim + c] * x[c] * normWeight[c]}
     * (fp32 weights, {@code experts x dim} row-major), four experts per work-group so each x load
     * serves four rows, two loads per row in flight. The FFN's RMSNorm is folded in as in
     * {@link FusedMatVec}: its scale {@code s = 1 / sqrt(mean(x^2) + eps)} is one number per token,
     * so {@code w . RMSNorm(x) = s * (w . (x * normWeight))}; every group also sums x^2 over its
     * slice and the groups of the first four experts write those sums after the logits, at
     * {@code partialLogits[slices * experts + s]}, from which the compaction gets s
     * ({@link #sliceNormScale}) without a norm launch; those groups also write the weighted input
     * {@code weightedInput[c] = x[c] * normWeight[c]} of their slice, so that the fp16 gate/up
     * that follows ({@link Experts#normedGateUpSiluActiveF16Pairs}) loads one vector instead
     * of two and neither multiplies nor squares again. An input that is normed already passes
     * weights of 1 (exact) and compacts with scale 1 ({@link #compactActiveExpertsSummingSlices}).
     * No sigmoid: compaction compares logits with the threshold's logit
     * ({@code sigmoid(z) > tau} exactly when {@code z > ln(tau / (1 - tau))}), which also keeps
     * tau = 0 meaning "every expert" where an fp32 sigmoid would round a very negative logit to 0.
     * Split-K: the columns are cut into {@code slices} runs of {@code ceil(dim / slices)} (one
     * slice: the plain GEMV) and each (four experts, slice) pair is its own work-group, so a router of a few hundred experts still fills a GPU (344 experts make 86
     * groups unsplit; with 8 slices, 688). Writes the partial logit of expert e over slice s to
     * {@code partialLogits[s * experts + e]}; the compaction adds the slices in ascending order,
     * so the logit is the same on every device and grid. {@code partialLogits} holds
     * {@code slices * (experts + 1)} floats.
     * With {@code quantizeInput} the groups that write the weighted input also quantize their
     * slice of it to int8 blocks ({@link QuantizedInputMatVec#quantize}'s form, L words a turn)
     * into {@code inputQuants} and {@code inputScales}, for
     * {@link QuantizedInputMatVec#normedGateUpSiluActiveQ8_0FourNeurons}, which applies the norm's
     * scale (quantization does not depend on it); the router's many groups do it side by side,
     * where the one-group compaction would put it on every layer's critical path. Then L is at
     * least 8 and a slice a multiple of 32 columns; without it the two arrays are not touched.
     * Grid: exactly {@code ceil(experts / 4) * slices} groups, {@code WorkerGrid.of(ceil(experts / 4) * slices * L, L)},
     * L a power of two from 4 to {@link GroupLimits#MAX_LOCAL_SIZE}; group g does experts
     * {@code 4 * (g % ceil(experts / 4)) ..} over slice {@code g / ceil(experts / 4)}.
     * Traffic: reads 4 * experts * dim bytes of weights (x and normWeight once per group, from
     * cache), writes 4 * (experts + 1) * slices + 4 * dim (+ 1.125 * dim quantizing).
     */
    public static void logitsFourExpertsSplitK(KernelContext ctx, FloatArray w, FloatArray x, FloatArray normWeight, FloatArray partialLogits,
                                               FloatArray weightedInput, int experts, int dim, int slices, boolean quantizeInput,
                                               IntArray inputQuants, FloatArray inputScales) {
        float[] scratch = ctx.allocateFloatLocalArray(5 * GroupLimits.MAX_LOCAL_SIZE);
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
        float squares = 0f;
        boolean writesInput = e0 == 0; // uniform per group
        int c = slice * run + lid;
        // The first step's weights and norm weights load before the wait for the kernel launched
        // before this one (awaitPrecedingKernel: on CUDA 9.0+ this kernel's groups start while that
        // one drains, and no kernel of a step writes weights); each step then loads the next one's.
        float a0 = 0f;
        float a1 = 0f;
        float a2 = 0f;
        float a3 = 0f;
        float d0 = 0f;
        float d1 = 0f;
        float d2 = 0f;
        float d3 = 0f;
        float nc = 0f;
        float nk = 0f;
        if (c + size < end) {
            int k = c + size;
            a0 = w.get(b0 + c);
            a1 = w.get(b1 + c);
            a2 = w.get(b2 + c);
            a3 = w.get(b3 + c);
            d0 = w.get(b0 + k);
            d1 = w.get(b1 + k);
            d2 = w.get(b2 + k);
            d3 = w.get(b3 + k);
            nc = normWeight.get(c);
            nk = normWeight.get(k);
        }
        ctx.awaitPrecedingKernel();
        for (; c + size < end; c += 2 * size) {
            int k = c + size;
            float xc = x.get(c);
            float xk = x.get(k);
            squares += xc * xc + xk * xk;
            float yc = xc * nc;
            float yk = xk * nk;
            if (writesInput) {
                weightedInput.set(c, yc);
                weightedInput.set(k, yk);
            }
            s0 += a0 * yc + d0 * yk;
            s1 += a1 * yc + d1 * yk;
            s2 += a2 * yc + d2 * yk;
            s3 += a3 * yc + d3 * yk;
            int cn = c + 2 * size;
            int kn = cn + size;
            if (kn < end) {
                a0 = w.get(b0 + cn);
                a1 = w.get(b1 + cn);
                a2 = w.get(b2 + cn);
                a3 = w.get(b3 + cn);
                d0 = w.get(b0 + kn);
                d1 = w.get(b1 + kn);
                d2 = w.get(b2 + kn);
                d3 = w.get(b3 + kn);
                nc = normWeight.get(cn);
                nk = normWeight.get(kn);
            }
        }
        for (; c < end; c += size) {
            float xc = x.get(c);
            squares += xc * xc;
            float yc = xc * normWeight.get(c);
            if (writesInput) {
                weightedInput.set(c, yc);
            }
            s0 += w.get(b0 + c) * yc;
            s1 += w.get(b1 + c) * yc;
            s2 += w.get(b2 + c) * yc;
            s3 += w.get(b3 + c) * yc;
        }
        scratch[lid] = s0;
        scratch[size + lid] = s1;
        scratch[2 * size + lid] = s2;
        scratch[3 * size + lid] = s3;
        scratch[4 * size + lid] = squares;
        GroupReduce.sumRowsInPlace(ctx, scratch, 5, true);
        if (lid < 4 && e0 + lid < experts) {
            partialLogits.set((long) slice * experts + e0 + lid, scratch[lid * size]);
        }
        if (lid == 0 && e0 == 0) {
            partialLogits.set((long) slices * experts + slice, scratch[4 * size]);
        }
        if (quantizeInput && writesInput) { // uniform per group; scratch's sums were read above, its first L slots now take maxima
            QuantizedInputMatVec.quantizeInTurns(ctx, scratch, weightedInput, weightedInput, 1f, false, inputQuants, inputScales,
                    slice * run, end);
        }
    }

    /** Expert e's logit over the weighted input from {@link #logitsFourExpertsSplitK}'s partials: slices added in ascending order. */
    static float sumSlices(FloatArray partialLogits, int slices, int experts, int e) {
        float z = 0f;
        for (int s = 0; s < slices; s++) {
            z += partialLogits.get((long) s * experts + e);
        }
        return z;
    }

    /**
     * The RMSNorm scale {@code 1 / sqrt(mean(x^2) + eps)} from the slices' sums of squares that
     * {@link #logitsFourExpertsSplitK} wrote after the logits, added in ascending order, so every
     * work-group that calls it gets the same number (and the same active set).
     */
    static float sliceNormScale(FloatArray partialLogits, int slices, int experts, int dim, float eps) {
        float squares = 0f;
        for (int s = 0; s < slices; s++) {
            squares += partialLogits.get((long) slices * experts + s);
        }
        return 1f / (float) Math.sqrt(squares / dim + eps);
    }

    /** Whether expert e's logit, {@link #sumSlices} times the norm's {@code scale} (1 for a normed input), is above {@code minLogit}. */
    static boolean isActive(FloatArray partialLogits, int slices, int experts, int e, float scale, float minLogit) {
        return sumSlices(partialLogits, slices, experts, e) * scale > minLogit;
    }

    /**
     * The compaction of one work-group (every item calls it): {@code activeIds[0 .. count)} = the
     * experts e that {@link #isActive}, ascending; {@code activeCount[0] = count}; slots from count
     * on are left as they were. Item t owns a contiguous run of {@code ceil(experts / L)} experts,
     * counts its active ones, an inclusive scan in local memory ({@link GroupReduce#prefixSum})
     * gives each item its first slot, and items write their ids in order. Ends with a barrier.
     */
    static void compactActive(KernelContext ctx, float[] scratch, FloatArray partialLogits, int slices, float scale, float minLogit,
                              IntArray activeIds, IntArray activeCount, int experts) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int run = (experts + size - 1) / size;
        int first = Math.min(lid * run, experts);
        int end = Math.min(first + run, experts);
        int mine = 0;
        for (int e = first; e < end; e++) {
            if (isActive(partialLogits, slices, experts, e, scale, minLogit)) {
                mine++;
            }
        }
        int upToMine = (int) GroupReduce.prefixSum(ctx, scratch, mine);
        int slot = upToMine - mine;
        for (int e = first; e < end; e++) {
            if (isActive(partialLogits, slices, experts, e, scale, minLogit)) {
                activeIds.set(slot, e);
                slot++;
            }
        }
        if (lid == size - 1) {
            activeCount.set(0, upToMine);
        }
        ctx.localBarrier(); // the scan's scratch may be written again at once
    }

    /**
     * Stage-2 routing on split-K partial logits of an input that is normed already:
     * {@code activeIds[0 .. count)} = the experts whose logit, the sum of its {@code slices}
     * partials from {@link #logitsFourExpertsSplitK} (ascending, {@link #sumSlices}), is above
     * {@code minLogit}, in ascending order; {@code activeCount[0] = count}; slots from count on
     * are left as they were ({@link #compactActive} with scale 1, exact). The slice sum is fused
     * here, so split-K costs no extra launch. Deterministic: one work-group, a scan over items.
     * Grid: exactly one group, {@code WorkerGrid.of(L, L)}, L a power of two at most
     * {@link GroupLimits#MAX_LOCAL_SIZE}. Traffic: reads the partials twice
     * (8 * slices * experts bytes, from cache the second time), writes 4 * (count + 1).
     */
    public static void compactActiveExpertsSummingSlices(KernelContext ctx, FloatArray partialLogits, int slices, float minLogit,
                                                         IntArray activeIds, IntArray activeCount, int experts) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        compactActive(ctx, scratch, partialLogits, slices, 1f, minLogit, activeIds, activeCount, experts);
    }

    /**
     * {@link #compactActiveExpertsSummingSlices} for a router that ran on the raw residual times
     * the norm weight ({@link #logitsFourExpertsSplitK} with the FFN's RMSNorm folded in): every
     * logit is scaled by the norm's {@code 1 / sqrt(mean(x^2) + eps)} ({@link #sliceNormScale},
     * from the slices' sums of squares after the logits) before it is compared with
     * {@code minLogit}, as {@link Experts#normedGateUpSiluActiveQ8_0SplitWordsFourNeurons} scales
     * its dots. Grid: exactly one group, {@code WorkerGrid.of(L, L)}. Traffic: as there, plus
     * 4 * slices bytes of squares per item.
     */
    public static void compactActiveExpertsOfNormedSlices(KernelContext ctx, FloatArray partialLogits, int slices, float minLogit,
                                                          IntArray activeIds, IntArray activeCount, int experts, int dim, float eps) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float scale = sliceNormScale(partialLogits, slices, experts, dim, eps);
        compactActive(ctx, scratch, partialLogits, slices, scale, minLogit, activeIds, activeCount, experts);
    }

    /**
     * {@link #compactActiveExpertsSummingSlices} for one slice of logits, in one work-item with no
     * barrier: the CPU OpenCL decode's compaction, after the router ran as an item-per-row GEMV
     * ({@link MatVec#gemvF32RowPerItem}). On PoCL a scan in local memory pays for every barrier,
     * and a few hundred comparisons take one item less time than that. The same list as the
     * scan's: {@link #isActive} with one slice and scale 1.
     * Grid: any 1-D; item 0 does all the work. Traffic: reads 4 * experts, writes 4 * (count + 1).
     */
    public static void compactActiveExpertsInOneItem(FloatArray logits, float minLogit, IntArray activeIds, IntArray activeCount,
                                                     int experts) {
        for (@Parallel int i = 0; i < 1; i++) {
            int count = 0;
            for (int e = 0; e < experts; e++) {
                if (isActive(logits, 1, experts, e, 1f, minLogit)) {
                    activeIds.set(count, e);
                    count++;
                }
            }
            activeCount.set(0, count);
        }
    }
}
