package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * The LTE sparse FFN at decode (DESIGN.md section 5), over the active experts that
 * {@link Router#compactActiveExperts} listed: {@code activeIds[0 .. activeCount[0])}.
 *
 * <p>Layout: expert e owns neurons {@code e * expertSize .. e * expertSize + expertSize - 1}.
 * The gate and up projections are row-major {@code ffnDim x dim} (a neuron's gate row and up row
 * are rows {@code n} of each, so an expert's rows are contiguous). The down projection is
 * stored transposed, {@code ffnDim x dim}: row n is neuron n's output column, so an expert's
 * columns are {@code expertSize} contiguous rows.
 *
 * <p>Launch grids are fixed, sized for all experts, so a whole token step can be captured once;
 * work for slots at or past the active count is skipped by a uniform early exit.
 *
 * <p>A token's FFN is: {@code gateUpSilu...} (writes {@code hidden[n]} for active neurons only),
 * {@code downPartials...} (one partial output vector per chunk of {@code expertsPerChunk} active
 * experts: split-K), then {@link #accumulateDownPartials} (adds the partials in chunk order).
 * Every sum runs in a fixed order (active experts ascending, neurons ascending, chunks
 * ascending), so the result does not depend on the device or the grid.
 */
public final class Experts {
    private Experts() {
    }

    /**
     * {@code hidden[n] = silu(gate_n . x) * (up_n . x)} for every neuron n of every active expert,
     * fp32 weights. One work-group per (active slot, neuron): items stride over {@code dim}
     * accumulating both dot products, two trees in local memory.
     * Grid: {@code WorkerGrid.of(experts * expertSize * L, L)} for all experts (fewer groups loop),
     * L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: reads 8 * count * expertSize * dim bytes of weights, writes 4 * count * expertSize.
     */
    public static void gateUpSiluActiveF32(KernelContext ctx, FloatArray gateW, FloatArray upW, FloatArray x,
                                           IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                           int dim, int expertSize) {
        float[] gateSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float[] upSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int slot = g / expertSize;
            int neuron = activeIds.get(slot) * expertSize + (g - slot * expertSize);
            long base = (long) neuron * dim;
            float gate = 0f;
            float up = 0f;
            for (int c = lid; c < dim; c += size) {
                float xc = x.get(c);
                gate += gateW.get(base + c) * xc;
                up += upW.get(base + c) * xc;
            }
            gateSums[lid] = gate;
            upSums[lid] = up;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    gateSums[lid] += gateSums[lid + stride];
                    upSums[lid] += upSums[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                hidden.set(neuron, Activations.silu(gateSums[0]) * upSums[0]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * As {@link #gateUpSiluActiveF32} with fp16 gate and up weights.
     * Traffic: reads 4 * count * expertSize * dim bytes of weights.
     */
    public static void gateUpSiluActiveF16(KernelContext ctx, HalfArray gateW, HalfArray upW, FloatArray x,
                                           IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                           int dim, int expertSize) {
        float[] gateSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float[] upSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int slot = g / expertSize;
            int neuron = activeIds.get(slot) * expertSize + (g - slot * expertSize);
            long base = (long) neuron * dim;
            float gate = 0f;
            float up = 0f;
            for (int c = lid; c < dim; c += size) {
                float xc = x.get(c);
                gate += gateW.get(base + c) * xc;
                up += upW.get(base + c) * xc;
            }
            gateSums[lid] = gate;
            upSums[lid] = up;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    gateSums[lid] += gateSums[lid + stride];
                    upSums[lid] += upSums[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                hidden.set(neuron, Activations.silu(gateSums[0]) * upSums[0]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * As {@link #gateUpSiluActiveF32} with GGML Q8_0 gate and up weights: each neuron's row is
     * {@code dim / 32} blocks of 34 bytes ({@code dim} a multiple of 32), rows back to back.
     * Traffic: reads 2 * 34/32 * count * expertSize * dim bytes of weights.
     */
    public static void gateUpSiluActiveQ8_0(KernelContext ctx, ByteArray gateW, ByteArray upW, FloatArray x,
                                            IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                            int dim, int expertSize) {
        float[] gateSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float[] upSums = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        long rowBytes = (long) (dim / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int slot = g / expertSize;
            int neuron = activeIds.get(slot) * expertSize + (g - slot * expertSize);
            long rowStart = neuron * rowBytes;
            float gate = 0f;
            float up = 0f;
            for (int c = lid; c < dim; c += size) {
                float xc = x.get(c);
                long block = rowStart + (long) (c / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
                long quant = block + 2 + c % MatVec.Q8_0_BLOCK;
                gate += gateW.getHalf(block) * gateW.get(quant) * xc;
                up += upW.getHalf(block) * upW.get(quant) * xc;
            }
            gateSums[lid] = gate;
            upSums[lid] = up;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    gateSums[lid] += gateSums[lid + stride];
                    upSums[lid] += upSums[lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                hidden.set(neuron, Activations.silu(gateSums[0]) * upSums[0]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * Split-K down projection, fp32 weights: for chunk k (active slots
     * {@code k * expertsPerChunk ..}, at most expertsPerChunk of them) and output i,
     * {@code partials[k * dim + i] = sum over the chunk's neurons n of hidden[n] * downT[n * dim + i]}.
     * One work-item per (chunk, i); neighbouring items read neighbouring weights of a row.
     * Grid: 1-D covering {@code ceil(experts / expertsPerChunk) * dim} items (fewer loop);
     * items of chunks past the active count do nothing. {@code partials} holds that many floats.
     * Traffic: reads 4 * count * expertSize * dim bytes of weights, writes 4 * chunks * dim.
     */
    public static void downPartialsActiveF32(KernelContext ctx, FloatArray downT, FloatArray hidden,
                                             IntArray activeIds, IntArray activeCount, FloatArray partials,
                                             int dim, int expertSize, int expertsPerChunk) {
        int count = activeCount.get(0);
        int items = (count + expertsPerChunk - 1) / expertsPerChunk * dim;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / dim;
            int i = t - chunk * dim;
            int firstSlot = chunk * expertsPerChunk;
            int endSlot = Math.min(firstSlot + expertsPerChunk, count);
            float acc = 0f;
            for (int slot = firstSlot; slot < endSlot; slot++) {
                int n0 = activeIds.get(slot) * expertSize;
                for (int n = n0; n < n0 + expertSize; n++) {
                    acc += hidden.get(n) * downT.get((long) n * dim + i);
                }
            }
            partials.set(t, acc);
        }
    }

    /** As {@link #downPartialsActiveF32} with fp16 weights. Traffic: 2 bytes per weight read. */
    public static void downPartialsActiveF16(KernelContext ctx, HalfArray downT, FloatArray hidden,
                                             IntArray activeIds, IntArray activeCount, FloatArray partials,
                                             int dim, int expertSize, int expertsPerChunk) {
        int count = activeCount.get(0);
        int items = (count + expertsPerChunk - 1) / expertsPerChunk * dim;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / dim;
            int i = t - chunk * dim;
            int firstSlot = chunk * expertsPerChunk;
            int endSlot = Math.min(firstSlot + expertsPerChunk, count);
            float acc = 0f;
            for (int slot = firstSlot; slot < endSlot; slot++) {
                int n0 = activeIds.get(slot) * expertSize;
                for (int n = n0; n < n0 + expertSize; n++) {
                    acc += hidden.get(n) * downT.get((long) n * dim + i);
                }
            }
            partials.set(t, acc);
        }
    }

    /**
     * As {@link #downPartialsActiveF32} with GGML Q8_0 weights: each neuron's row of {@code dim}
     * outputs is {@code dim / 32} blocks of 34 bytes ({@code dim} a multiple of 32).
     * Traffic: 34/32 bytes per weight read.
     */
    public static void downPartialsActiveQ8_0(KernelContext ctx, ByteArray downT, FloatArray hidden,
                                              IntArray activeIds, IntArray activeCount, FloatArray partials,
                                              int dim, int expertSize, int expertsPerChunk) {
        int count = activeCount.get(0);
        int items = (count + expertsPerChunk - 1) / expertsPerChunk * dim;
        long rowBytes = (long) (dim / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / dim;
            int i = t - chunk * dim;
            long inRow = (long) (i / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
            int quantOffset = 2 + i % MatVec.Q8_0_BLOCK;
            int firstSlot = chunk * expertsPerChunk;
            int endSlot = Math.min(firstSlot + expertsPerChunk, count);
            float acc = 0f;
            for (int slot = firstSlot; slot < endSlot; slot++) {
                int n0 = activeIds.get(slot) * expertSize;
                for (int n = n0; n < n0 + expertSize; n++) {
                    long block = n * rowBytes + inRow;
                    acc += hidden.get(n) * (downT.getHalf(block) * downT.get(block + quantOffset));
                }
            }
            partials.set(t, acc);
        }
    }

    /**
     * Finishes the split-K down projection into the residual stream:
     * {@code out[i] += partials[0 * dim + i] + partials[1 * dim + i] + ...} over the
     * {@code ceil(activeCount[0] / expertsPerChunk)} chunks in ascending order (nothing is added
     * when no expert is active; zero {@code out} first for the plain FFN output).
     * Grid: 1-D, any size (one item per output, looping when smaller). Traffic: reads
     * 4 * chunks * dim bytes, reads and writes out.
     */
    public static void accumulateDownPartials(KernelContext ctx, FloatArray partials, IntArray activeCount, FloatArray out,
                                              int dim, int expertsPerChunk) {
        int chunks = (activeCount.get(0) + expertsPerChunk - 1) / expertsPerChunk;
        for (int i = ctx.globalIdx; i < dim; i += ctx.globalGroupSizeX) {
            float sum = 0f;
            for (int k = 0; k < chunks; k++) {
                sum += partials.get((long) k * dim + i);
            }
            out.set(i, out.get(i) + sum);
        }
    }
    // ---- packed-pair fp16 and balanced split-K variants (the decode path of model/device SparseFeedForward) ----

    /**
     * {@link #gateUpSiluActiveF16} reading fp16 weights as packed pairs (two halves per 32-bit
     * word, the layout of {@link MatVec#gemvF16Pairs}; view a {@code HalfArray} with
     * {@code IntArray.wrap(halves.segment())}) for two neurons per work-group: four rows (two
     * gate, two up) share each x load and two words per row keep eight loads in flight, the
     * shape of the dense {@link MatVec#gemvF16PairsFourRows} (0.84 of copy on the H200), with the
     * same local memory (four partial sums per item).
     * Requires {@code dim} even and {@code expertSize} even.
     * Grid: exactly one group per two neurons of all experts,
     * {@code WorkerGrid.of(experts * expertSize / 2 * L, L)}, L a power of two at most
     * {@link GroupLimits#MAX_LOCAL_SIZE}; groups whose slot is at or past the active count read
     * nothing (they only pass the reduction's barriers).
     * Traffic: reads 4 * count * expertSize * dim bytes of weights, writes 4 * count * expertSize.
     */
    public static void gateUpSiluActiveF16PairsTwoNeurons(KernelContext ctx, IntArray gateW, IntArray upW, FloatArray x,
                                                          IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                                          int dim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groupsPerExpert = expertSize / 2;
        int slot = ctx.groupIdx / groupsPerExpert;
        // Uniform per group. The work is skipped, but every group still meets the barriers: a
        // return before them failed on PoCL (kernel checks), while the skipped loads are what costs.
        boolean active = slot < activeCount.get(0);
        int n0 = 0;
        if (active) {
            n0 = activeIds.get(slot) * expertSize + (ctx.groupIdx - slot * groupsPerExpert) * 2;
            int words = dim / 2;
            long b0 = (long) n0 * words;
            long b1 = b0 + words;
            float g0 = 0f;
            float g1 = 0f;
            float u0 = 0f;
            float u1 = 0f;
            int j = lid;
            for (; j + size < words; j += 2 * size) {
                int k = j + size;
                int a0 = gateW.get(b0 + j);
                int a1 = gateW.get(b1 + j);
                int c0 = upW.get(b0 + j);
                int c1 = upW.get(b1 + j);
                int a2 = gateW.get(b0 + k);
                int a3 = gateW.get(b1 + k);
                int c2 = upW.get(b0 + k);
                int c3 = upW.get(b1 + k);
                float x0 = x.get(2 * j);
                float x1 = x.get(2 * j + 1);
                float x2 = x.get(2 * k);
                float x3 = x.get(2 * k + 1);
                g0 += MatVec.halfPair(a0, x0, x1) + MatVec.halfPair(a2, x2, x3);
                g1 += MatVec.halfPair(a1, x0, x1) + MatVec.halfPair(a3, x2, x3);
                u0 += MatVec.halfPair(c0, x0, x1) + MatVec.halfPair(c2, x2, x3);
                u1 += MatVec.halfPair(c1, x0, x1) + MatVec.halfPair(c3, x2, x3);
            }
            for (; j < words; j += size) {
                float x0 = x.get(2 * j);
                float x1 = x.get(2 * j + 1);
                g0 += MatVec.halfPair(gateW.get(b0 + j), x0, x1);
                g1 += MatVec.halfPair(gateW.get(b1 + j), x0, x1);
                u0 += MatVec.halfPair(upW.get(b0 + j), x0, x1);
                u1 += MatVec.halfPair(upW.get(b1 + j), x0, x1);
            }
            scratch[lid] = g0;
            scratch[size + lid] = g1;
            scratch[2 * size + lid] = u0;
            scratch[3 * size + lid] = u1;
        }
        GroupReduce.sumFourInPlace(ctx, scratch, active);
        if (active && lid < 2) {
            hidden.set(n0 + lid, Activations.silu(scratch[lid * size]) * scratch[(2 + lid) * size]);
        }
    }

    /**
     * {@link #gateUpSiluActiveF16PairsTwoNeurons} that routes for itself, so the decode needs no
     * compaction launch before it: group g works on expert {@code g / (expertSize / 2)} when that
     * expert's logit, the sum of its {@code slices} partials from {@link Router#logitsFourExpertsSplitK}
     * ({@link Router#sumSlices}, ascending), is above {@code minLogit}; and group 0 first also
     * writes the ascending active list and count ({@code activeIds}, {@code activeCount}) for the
     * down kernels that follow, exactly as {@link Router#compactActiveExpertsSummingSlices} does
     * (same sums, so the list and the neurons computed agree). The scan runs in the float scratch:
     * counts up to L are exact in fp32.
     * Grid: exactly one group per two neurons of all experts, {@code WorkerGrid.of(experts * expertSize / 2 * L, L)};
     * groups of inactive experts read nothing else.
     * Traffic: reads 4 * count * expertSize * dim bytes of weights and 4 * slices bytes per group
     * of partial logits (group 0: all of them, twice), writes 4 * count * expertSize + 4 * (count + 1).
     */
    public static void gateUpSiluF16PairsTwoNeuronsCompacting(KernelContext ctx, IntArray gateW, IntArray upW, FloatArray x,
                                                              FloatArray partialLogits, int slices, float minLogit,
                                                              IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                                              int dim, int expertSize, int experts) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        if (ctx.groupIdx == 0) { // uniform per group: all of group 0 meets these barriers
            int run = (experts + size - 1) / size;
            int first = Math.min(lid * run, experts);
            int end = Math.min(first + run, experts);
            int mine = 0;
            for (int e = first; e < end; e++) {
                if (Router.sumSlices(partialLogits, slices, experts, e) > minLogit) {
                    mine++;
                }
            }
            scratch[lid] = mine;
            ctx.localBarrier();
            for (int offset = 1; offset < size; offset *= 2) {
                float add = lid >= offset ? scratch[lid - offset] : 0f;
                ctx.localBarrier();
                scratch[lid] += add;
                ctx.localBarrier();
            }
            int total = (int) scratch[lid];
            int slot = total - mine;
            for (int e = first; e < end; e++) {
                if (Router.sumSlices(partialLogits, slices, experts, e) > minLogit) {
                    activeIds.set(slot, e);
                    slot++;
                }
            }
            if (lid == size - 1) {
                activeCount.set(0, total);
            }
            ctx.localBarrier(); // the scan's scratch is reused below
        }
        int groupsPerExpert = expertSize / 2;
        int expert = ctx.groupIdx / groupsPerExpert;
        boolean active = Router.sumSlices(partialLogits, slices, experts, expert) > minLogit; // uniform per group
        int n0 = 0;
        if (active) {
            n0 = expert * expertSize + (ctx.groupIdx - expert * groupsPerExpert) * 2;
            int words = dim / 2;
            long b0 = (long) n0 * words;
            long b1 = b0 + words;
            float g0 = 0f;
            float g1 = 0f;
            float u0 = 0f;
            float u1 = 0f;
            int j = lid;
            for (; j + size < words; j += 2 * size) {
                int k = j + size;
                int a0 = gateW.get(b0 + j);
                int a1 = gateW.get(b1 + j);
                int c0 = upW.get(b0 + j);
                int c1 = upW.get(b1 + j);
                int a2 = gateW.get(b0 + k);
                int a3 = gateW.get(b1 + k);
                int c2 = upW.get(b0 + k);
                int c3 = upW.get(b1 + k);
                float x0 = x.get(2 * j);
                float x1 = x.get(2 * j + 1);
                float x2 = x.get(2 * k);
                float x3 = x.get(2 * k + 1);
                g0 += MatVec.halfPair(a0, x0, x1) + MatVec.halfPair(a2, x2, x3);
                g1 += MatVec.halfPair(a1, x0, x1) + MatVec.halfPair(a3, x2, x3);
                u0 += MatVec.halfPair(c0, x0, x1) + MatVec.halfPair(c2, x2, x3);
                u1 += MatVec.halfPair(c1, x0, x1) + MatVec.halfPair(c3, x2, x3);
            }
            for (; j < words; j += size) {
                float x0 = x.get(2 * j);
                float x1 = x.get(2 * j + 1);
                g0 += MatVec.halfPair(gateW.get(b0 + j), x0, x1);
                g1 += MatVec.halfPair(gateW.get(b1 + j), x0, x1);
                u0 += MatVec.halfPair(upW.get(b0 + j), x0, x1);
                u1 += MatVec.halfPair(upW.get(b1 + j), x0, x1);
            }
            scratch[lid] = g0;
            scratch[size + lid] = g1;
            scratch[2 * size + lid] = u0;
            scratch[3 * size + lid] = u1;
        }
        GroupReduce.sumFourInPlace(ctx, scratch, active);
        if (active && lid < 2) {
            hidden.set(n0 + lid, Activations.silu(scratch[lid * size]) * scratch[(2 + lid) * size]);
        }
    }

    /**
     * Most experts {@link #gateUpSiluF16PairsTwoNeuronsLoopingOverActive} lists in local memory
     * (8 KiB of ints: with its 16 KiB of reduction scratch, eight groups of 256 still fit in an
     * H200 SM's shared memory); llama2-7b has 344 experts of 32, a 70B model 896.
     */
    public static final int MAX_LISTED_EXPERTS = 2048;

    /**
     * {@link #gateUpSiluF16PairsTwoNeuronsCompacting} on a fixed grid of about one wave of
     * work-groups that loop over the active neuron pairs only, instead of one group per pair of
     * all experts (at 90% sparsity 9 groups in 10 of that grid only read their expert's logit and
     * pass the reduction's barriers, about 15 us per llama2-7b layer on the H200). Every group
     * first compacts the experts whose summed partial logit ({@link Router#sumSlices}, ascending)
     * is above {@code minLogit} into an ascending list in local memory, exactly as
     * {@link Router#compactActiveExpertsSummingSlices} does (same sums, same scan, so every group
     * holds the same list); group 0 also writes it and the count to {@code activeIds} and
     * {@code activeCount} for the down kernels. Then group g computes active pairs
     * {@code g, g + groups, ...}: pair p is neurons {@code 2 (p % (expertSize / 2))} and the next
     * of active slot {@code p / (expertSize / 2)}, with the arithmetic of
     * {@link #gateUpSiluActiveF16PairsTwoNeurons} (so {@code hidden} is bit-identical to it).
     * Requires {@code dim} even, {@code expertSize} even and
     * {@code experts <= }{@link #MAX_LISTED_EXPERTS}.
     * Grid: {@code WorkerGrid.of(G * L, L)} for any G >= 1 (about the groups one wave holds, e.g.
     * SMs x 8 for L = 256; more than {@code experts * expertSize / 2} groups only idle), L a power
     * of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: reads 4 * count * expertSize * dim bytes of weights and, per group, the partial
     * logits twice (8 * slices * experts bytes, from cache after the first groups), writes
     * 4 * count * expertSize + 4 * (count + 1).
     */
    public static void gateUpSiluF16PairsTwoNeuronsLoopingOverActive(KernelContext ctx, IntArray gateW, IntArray upW, FloatArray x,
                                                                     FloatArray partialLogits, int slices, float minLogit,
                                                                     IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                                                     int dim, int expertSize, int experts) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int[] listed = ctx.allocateIntLocalArray(MAX_LISTED_EXPERTS);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        boolean writer = ctx.groupIdx == 0;
        int run = (experts + size - 1) / size;
        int first = Math.min(lid * run, experts);
        int end = Math.min(first + run, experts);
        int mine = 0;
        for (int e = first; e < end; e++) {
            if (Router.sumSlices(partialLogits, slices, experts, e) > minLogit) {
                mine++;
            }
        }
        scratch[lid] = mine; // counts up to L are exact in fp32
        ctx.localBarrier();
        for (int offset = 1; offset < size; offset *= 2) {
            float add = lid >= offset ? scratch[lid - offset] : 0f;
            ctx.localBarrier();
            scratch[lid] += add;
            ctx.localBarrier();
        }
        int total = (int) scratch[size - 1];
        int slot = (int) scratch[lid] - mine;
        for (int e = first; e < end; e++) {
            if (Router.sumSlices(partialLogits, slices, experts, e) > minLogit) {
                listed[slot] = e;
                if (writer) {
                    activeIds.set(slot, e);
                }
                slot++;
            }
        }
        if (writer && lid == size - 1) {
            activeCount.set(0, total);
        }
        ctx.localBarrier(); // the list is complete and the scan's scratch free
        int pairsPerExpert = expertSize / 2;
        int pairs = total * pairsPerExpert;
        int words = dim / 2;
        for (int p = ctx.groupIdx; p < pairs; p += groups) { // uniform per group: all meet the barriers
            int activeSlot = p / pairsPerExpert;
            int n0 = listed[activeSlot] * expertSize + (p - activeSlot * pairsPerExpert) * 2;
            long b0 = (long) n0 * words;
            long b1 = b0 + words;
            float g0 = 0f;
            float g1 = 0f;
            float u0 = 0f;
            float u1 = 0f;
            int j = lid;
            for (; j + size < words; j += 2 * size) {
                int k = j + size;
                int a0 = gateW.get(b0 + j);
                int a1 = gateW.get(b1 + j);
                int c0 = upW.get(b0 + j);
                int c1 = upW.get(b1 + j);
                int a2 = gateW.get(b0 + k);
                int a3 = gateW.get(b1 + k);
                int c2 = upW.get(b0 + k);
                int c3 = upW.get(b1 + k);
                float x0 = x.get(2 * j);
                float x1 = x.get(2 * j + 1);
                float x2 = x.get(2 * k);
                float x3 = x.get(2 * k + 1);
                g0 += MatVec.halfPair(a0, x0, x1) + MatVec.halfPair(a2, x2, x3);
                g1 += MatVec.halfPair(a1, x0, x1) + MatVec.halfPair(a3, x2, x3);
                u0 += MatVec.halfPair(c0, x0, x1) + MatVec.halfPair(c2, x2, x3);
                u1 += MatVec.halfPair(c1, x0, x1) + MatVec.halfPair(c3, x2, x3);
            }
            for (; j < words; j += size) {
                float x0 = x.get(2 * j);
                float x1 = x.get(2 * j + 1);
                g0 += MatVec.halfPair(gateW.get(b0 + j), x0, x1);
                g1 += MatVec.halfPair(gateW.get(b1 + j), x0, x1);
                u0 += MatVec.halfPair(upW.get(b0 + j), x0, x1);
                u1 += MatVec.halfPair(upW.get(b1 + j), x0, x1);
            }
            scratch[lid] = g0;
            scratch[size + lid] = g1;
            scratch[2 * size + lid] = u0;
            scratch[3 * size + lid] = u1;
            ctx.localBarrier();
            for (int stride = size / 2; stride > 0; stride /= 2) {
                if (lid < stride) {
                    scratch[lid] += scratch[lid + stride];
                    scratch[size + lid] += scratch[size + lid + stride];
                    scratch[2 * size + lid] += scratch[2 * size + lid + stride];
                    scratch[3 * size + lid] += scratch[3 * size + lid + stride];
                }
                ctx.localBarrier();
            }
            if (lid < 2) {
                hidden.set(n0 + lid, Activations.silu(scratch[lid * size]) * scratch[(2 + lid) * size]);
            }
            ctx.localBarrier(); // scratch is written again by the next pair
        }
    }

    /**
     * {@link #gateUpSiluActiveQ8_0} on Q8_0 rows split into int8 quants loaded as 32-bit words
     * (four weights per load) and fp16 block scales ({@link Q8_0Split}, the form the dense Q8_0
     * GEMV {@link MatVec#gemvQ8_0SplitWordsFourRows} reads), four neurons per work-group sharing
     * each x load, eight word loads in flight. Requires {@code dim} a multiple of 32 and
     * {@code expertSize} a multiple of 4.
     * Grid: exactly one group per four neurons of all experts, as
     * one group per four neurons (as the F16 kernel before it had); groups past the active count read nothing.
     * Traffic: reads 2 * 34/32 * count * expertSize * dim bytes of weights.
     */
    public static void gateUpSiluActiveQ8_0SplitWordsFourNeurons(KernelContext ctx, IntArray gateQuants, HalfArray gateScales,
                                                                 IntArray upQuants, HalfArray upScales, FloatArray x,
                                                                 IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                                                 int dim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(8 * GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groupsPerExpert = expertSize / 4;
        int slot = ctx.groupIdx / groupsPerExpert;
        boolean active = slot < activeCount.get(0); // uniform per group; barriers below are met by all
        int n0 = 0;
        if (active) {
            n0 = activeIds.get(slot) * expertSize + (ctx.groupIdx - slot * groupsPerExpert) * 4;
            int words = dim / 4;
            int blocks = dim / MatVec.Q8_0_BLOCK;
            long q0 = (long) n0 * words;
            long q1 = q0 + words;
            long q2 = q1 + words;
            long q3 = q2 + words;
            long d0 = (long) n0 * blocks;
            long d1 = d0 + blocks;
            long d2 = d1 + blocks;
            long d3 = d2 + blocks;
            float g0 = 0f;
            float g1 = 0f;
            float g2 = 0f;
            float g3 = 0f;
            float u0 = 0f;
            float u1 = 0f;
            float u2 = 0f;
            float u3 = 0f;
            for (int j = lid; j < words; j += size) {
                int a0 = gateQuants.get(q0 + j);
                int a1 = gateQuants.get(q1 + j);
                int a2 = gateQuants.get(q2 + j);
                int a3 = gateQuants.get(q3 + j);
                int c0 = upQuants.get(q0 + j);
                int c1 = upQuants.get(q1 + j);
                int c2 = upQuants.get(q2 + j);
                int c3 = upQuants.get(q3 + j);
                int b = j / 8;
                float x0 = x.get(4 * j);
                float x1 = x.get(4 * j + 1);
                float x2 = x.get(4 * j + 2);
                float x3 = x.get(4 * j + 3);
                g0 += gateScales.get(d0 + b) * MatVec.quadDot(a0, x0, x1, x2, x3);
                g1 += gateScales.get(d1 + b) * MatVec.quadDot(a1, x0, x1, x2, x3);
                g2 += gateScales.get(d2 + b) * MatVec.quadDot(a2, x0, x1, x2, x3);
                g3 += gateScales.get(d3 + b) * MatVec.quadDot(a3, x0, x1, x2, x3);
                u0 += upScales.get(d0 + b) * MatVec.quadDot(c0, x0, x1, x2, x3);
                u1 += upScales.get(d1 + b) * MatVec.quadDot(c1, x0, x1, x2, x3);
                u2 += upScales.get(d2 + b) * MatVec.quadDot(c2, x0, x1, x2, x3);
                u3 += upScales.get(d3 + b) * MatVec.quadDot(c3, x0, x1, x2, x3);
            }
            scratch[lid] = g0;
            scratch[size + lid] = g1;
            scratch[2 * size + lid] = g2;
            scratch[3 * size + lid] = g3;
            scratch[4 * size + lid] = u0;
            scratch[5 * size + lid] = u1;
            scratch[6 * size + lid] = u2;
            scratch[7 * size + lid] = u3;
        }
        ctx.localBarrier();
        for (int stride = size / 2; stride > 0; stride /= 2) {
            if (active && lid < stride) {
                for (int r = 0; r < 8; r++) {
                    scratch[r * size + lid] += scratch[r * size + lid + stride];
                }
            }
            ctx.localBarrier();
        }
        if (active && lid < 4) {
            hidden.set(n0 + lid, Activations.silu(scratch[lid * size]) * scratch[(4 + lid) * size]);
        }
    }

    /** Neurons per unit of split-K work in the balanced down kernels: an expert is expertSize / 8 units. */
    public static final int DOWN_SLICE = 8;

    /**
     * Slices (of {@link #DOWN_SLICE} neurons) per split-K chunk so that {@code slices} active
     * slices make at most {@code maxChunks} chunks: {@code ceil(slices / maxChunks)}, 0 when none.
     * Chunks grow with the active count instead of the chunk count, so few active experts still
     * spread over many chunks (parallelism at high sparsity) and many stay within
     * {@code maxChunks} partial vectors (bounded summation work at low sparsity).
     */
    static int slicesPerBalancedChunk(int slices, int maxChunks) {
        return (slices + maxChunks - 1) / maxChunks;
    }

    /** Chunks that {@code slices} active slices make (the last may hold fewer). */
    static int balancedChunks(int slices, int maxChunks) {
        int perChunk = slicesPerBalancedChunk(slices, maxChunks);
        return perChunk == 0 ? 0 : (slices + perChunk - 1) / perChunk;
    }

    /**
     * Split-K down projection over the active experts, fp16 weights stored transposed
     * ({@code ffnDim x dim}, row n = neuron n's output column) and read as packed pairs. The
     * active neurons are cut into slices of {@link #DOWN_SLICE} (slice u is neurons
     * {@code (u % s) * 8 ..} of active slot {@code u / s}, {@code s = expertSize / 8}); chunk k
     * holds slices {@code k * p .. min((k + 1) * p, slices) - 1}, {@code p = ceil(slices / maxChunks)}.
     * Item (chunk k, word j) computes outputs 2j and 2j+1:
     * {@code partials[k * dim + 2j + b] = sum over the chunk's neurons n of hidden[n] * downT[n][2j + b]},
     * with eight independent word loads in flight. Requires {@code dim} even and
     * {@code expertSize} a multiple of 8.
     * Grid: 1-D covering {@code maxChunks * dim / 2} items (fewer loop); items past the chunks in
     * use do nothing. {@code partials} holds {@code maxChunks * dim} floats.
     * Traffic: reads 2 * count * expertSize * dim bytes of weights, writes 4 * chunks * dim.
     */
    public static void downPartialsBalancedF16Pairs(KernelContext ctx, IntArray downT, FloatArray hidden,
                                                    IntArray activeIds, IntArray activeCount, FloatArray partials,
                                                    int dim, int expertSize, int maxChunks) {
        int slicesPerExpert = expertSize / DOWN_SLICE;
        int slices = activeCount.get(0) * slicesPerExpert;
        int perChunk = slicesPerBalancedChunk(slices, maxChunks);
        int words = dim / 2;
        int items = balancedChunks(slices, maxChunks) * words;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / words;
            int j = t - chunk * words;
            int first = chunk * perChunk;
            int end = Math.min(first + perChunk, slices);
            float lo = 0f;
            float hi = 0f;
            for (int u = first; u < end; u++) {
                int slot = u / slicesPerExpert;
                int n = activeIds.get(slot) * expertSize + (u - slot * slicesPerExpert) * DOWN_SLICE;
                long base = (long) n * words + j;
                int w0 = downT.get(base);
                int w1 = downT.get(base + words);
                int w2 = downT.get(base + 2L * words);
                int w3 = downT.get(base + 3L * words);
                int w4 = downT.get(base + 4L * words);
                int w5 = downT.get(base + 5L * words);
                int w6 = downT.get(base + 6L * words);
                int w7 = downT.get(base + 7L * words);
                float h0 = hidden.get(n);
                float h1 = hidden.get(n + 1);
                float h2 = hidden.get(n + 2);
                float h3 = hidden.get(n + 3);
                float h4 = hidden.get(n + 4);
                float h5 = hidden.get(n + 5);
                float h6 = hidden.get(n + 6);
                float h7 = hidden.get(n + 7);
                lo += ((lowHalf(w0) * h0 + lowHalf(w1) * h1) + (lowHalf(w2) * h2 + lowHalf(w3) * h3))
                        + ((lowHalf(w4) * h4 + lowHalf(w5) * h5) + (lowHalf(w6) * h6 + lowHalf(w7) * h7));
                hi += ((highHalf(w0) * h0 + highHalf(w1) * h1) + (highHalf(w2) * h2 + highHalf(w3) * h3))
                        + ((highHalf(w4) * h4 + highHalf(w5) * h5) + (highHalf(w6) * h6 + highHalf(w7) * h7));
            }
            long out = (long) chunk * dim + 2L * j;
            partials.set(out, lo);
            partials.set(out + 1, hi);
        }
    }

    /**
     * {@link #downPartialsBalancedF16Pairs} with two slices per step: each item issues the
     * sixteen word loads of two slices at once (then the last odd slice alone) instead of eight
     * per slice in turn. At high sparsity a chunk is one or two slices (90% of llama2-7b: 136
     * slices in 128 chunks, two each), so an item's loads were two round trips to memory one after
     * the other; now one. Each slice's eight products are added as there and the slice sums
     * join the accumulators in ascending slice order, so the partials are bit-identical to
     * {@link #downPartialsBalancedF16Pairs}. Requirements, grid and traffic as there.
     * Measured slower than {@link #downPartialsBalancedF16Pairs} on the H200 (llama2-7b F16,
     * 0-90% sparsity, likely more registers for fewer resident items), so the decode does not
     * use it; kept, with its check, as the measured alternative.
     */
    public static void downPartialsBalancedF16PairsTwoSlicesAtOnce(KernelContext ctx, IntArray downT, FloatArray hidden,
                                                                   IntArray activeIds, IntArray activeCount, FloatArray partials,
                                                                   int dim, int expertSize, int maxChunks) {
        int slicesPerExpert = expertSize / DOWN_SLICE;
        int slices = activeCount.get(0) * slicesPerExpert;
        int perChunk = slicesPerBalancedChunk(slices, maxChunks);
        int words = dim / 2;
        int items = balancedChunks(slices, maxChunks) * words;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / words;
            int j = t - chunk * words;
            int first = chunk * perChunk;
            int end = Math.min(first + perChunk, slices);
            float lo = 0f;
            float hi = 0f;
            int u = first;
            for (; u + 1 < end; u += 2) {
                int slot = u / slicesPerExpert;
                int n = activeIds.get(slot) * expertSize + (u - slot * slicesPerExpert) * DOWN_SLICE;
                int nextSlot = (u + 1) / slicesPerExpert;
                int m = activeIds.get(nextSlot) * expertSize + (u + 1 - nextSlot * slicesPerExpert) * DOWN_SLICE;
                long base = (long) n * words + j;
                long next = (long) m * words + j;
                int w0 = downT.get(base);
                int w1 = downT.get(base + words);
                int w2 = downT.get(base + 2L * words);
                int w3 = downT.get(base + 3L * words);
                int w4 = downT.get(base + 4L * words);
                int w5 = downT.get(base + 5L * words);
                int w6 = downT.get(base + 6L * words);
                int w7 = downT.get(base + 7L * words);
                int v0 = downT.get(next);
                int v1 = downT.get(next + words);
                int v2 = downT.get(next + 2L * words);
                int v3 = downT.get(next + 3L * words);
                int v4 = downT.get(next + 4L * words);
                int v5 = downT.get(next + 5L * words);
                int v6 = downT.get(next + 6L * words);
                int v7 = downT.get(next + 7L * words);
                float h0 = hidden.get(n);
                float h1 = hidden.get(n + 1);
                float h2 = hidden.get(n + 2);
                float h3 = hidden.get(n + 3);
                float h4 = hidden.get(n + 4);
                float h5 = hidden.get(n + 5);
                float h6 = hidden.get(n + 6);
                float h7 = hidden.get(n + 7);
                float k0 = hidden.get(m);
                float k1 = hidden.get(m + 1);
                float k2 = hidden.get(m + 2);
                float k3 = hidden.get(m + 3);
                float k4 = hidden.get(m + 4);
                float k5 = hidden.get(m + 5);
                float k6 = hidden.get(m + 6);
                float k7 = hidden.get(m + 7);
                lo += ((lowHalf(w0) * h0 + lowHalf(w1) * h1) + (lowHalf(w2) * h2 + lowHalf(w3) * h3))
                        + ((lowHalf(w4) * h4 + lowHalf(w5) * h5) + (lowHalf(w6) * h6 + lowHalf(w7) * h7));
                hi += ((highHalf(w0) * h0 + highHalf(w1) * h1) + (highHalf(w2) * h2 + highHalf(w3) * h3))
                        + ((highHalf(w4) * h4 + highHalf(w5) * h5) + (highHalf(w6) * h6 + highHalf(w7) * h7));
                lo += ((lowHalf(v0) * k0 + lowHalf(v1) * k1) + (lowHalf(v2) * k2 + lowHalf(v3) * k3))
                        + ((lowHalf(v4) * k4 + lowHalf(v5) * k5) + (lowHalf(v6) * k6 + lowHalf(v7) * k7));
                hi += ((highHalf(v0) * k0 + highHalf(v1) * k1) + (highHalf(v2) * k2 + highHalf(v3) * k3))
                        + ((highHalf(v4) * k4 + highHalf(v5) * k5) + (highHalf(v6) * k6 + highHalf(v7) * k7));
            }
            if (u < end) {
                int slot = u / slicesPerExpert;
                int n = activeIds.get(slot) * expertSize + (u - slot * slicesPerExpert) * DOWN_SLICE;
                long base = (long) n * words + j;
                int w0 = downT.get(base);
                int w1 = downT.get(base + words);
                int w2 = downT.get(base + 2L * words);
                int w3 = downT.get(base + 3L * words);
                int w4 = downT.get(base + 4L * words);
                int w5 = downT.get(base + 5L * words);
                int w6 = downT.get(base + 6L * words);
                int w7 = downT.get(base + 7L * words);
                float h0 = hidden.get(n);
                float h1 = hidden.get(n + 1);
                float h2 = hidden.get(n + 2);
                float h3 = hidden.get(n + 3);
                float h4 = hidden.get(n + 4);
                float h5 = hidden.get(n + 5);
                float h6 = hidden.get(n + 6);
                float h7 = hidden.get(n + 7);
                lo += ((lowHalf(w0) * h0 + lowHalf(w1) * h1) + (lowHalf(w2) * h2 + lowHalf(w3) * h3))
                        + ((lowHalf(w4) * h4 + lowHalf(w5) * h5) + (lowHalf(w6) * h6 + lowHalf(w7) * h7));
                hi += ((highHalf(w0) * h0 + highHalf(w1) * h1) + (highHalf(w2) * h2 + highHalf(w3) * h3))
                        + ((highHalf(w4) * h4 + highHalf(w5) * h5) + (highHalf(w6) * h6 + highHalf(w7) * h7));
            }
            long out = (long) chunk * dim + 2L * j;
            partials.set(out, lo);
            partials.set(out + 1, hi);
        }
    }

    /** The fp16 value in the low 16 bits of {@code word}. */
    static float lowHalf(int word) {
        return Float.float16ToFloat((short) word);
    }

    /** The fp16 value in the high 16 bits of {@code word}. */
    static float highHalf(int word) {
        return Float.float16ToFloat((short) (word >>> 16));
    }

    /**
     * As {@link #downPartialsBalancedF16Pairs} with fp32 weights stored transposed: item
     * (chunk k, output i), eight independent loads in flight per slice.
     * Grid: 1-D covering {@code maxChunks * dim} items (fewer loop).
     * Traffic: reads 4 * count * expertSize * dim bytes of weights, writes 4 * chunks * dim.
     */
    public static void downPartialsBalancedF32(KernelContext ctx, FloatArray downT, FloatArray hidden,
                                               IntArray activeIds, IntArray activeCount, FloatArray partials,
                                               int dim, int expertSize, int maxChunks) {
        int slicesPerExpert = expertSize / DOWN_SLICE;
        int slices = activeCount.get(0) * slicesPerExpert;
        int perChunk = slicesPerBalancedChunk(slices, maxChunks);
        int items = balancedChunks(slices, maxChunks) * dim;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / dim;
            int i = t - chunk * dim;
            int first = chunk * perChunk;
            int end = Math.min(first + perChunk, slices);
            float acc = 0f;
            for (int u = first; u < end; u++) {
                int slot = u / slicesPerExpert;
                int n = activeIds.get(slot) * expertSize + (u - slot * slicesPerExpert) * DOWN_SLICE;
                long base = (long) n * dim + i;
                float w0 = downT.get(base);
                float w1 = downT.get(base + dim);
                float w2 = downT.get(base + 2L * dim);
                float w3 = downT.get(base + 3L * dim);
                float w4 = downT.get(base + 4L * dim);
                float w5 = downT.get(base + 5L * dim);
                float w6 = downT.get(base + 6L * dim);
                float w7 = downT.get(base + 7L * dim);
                acc += ((w0 * hidden.get(n) + w1 * hidden.get(n + 1)) + (w2 * hidden.get(n + 2) + w3 * hidden.get(n + 3)))
                        + ((w4 * hidden.get(n + 4) + w5 * hidden.get(n + 5)) + (w6 * hidden.get(n + 6) + w7 * hidden.get(n + 7)));
            }
            partials.set(t, acc);
        }
    }

    /**
     * Split-K down projection over the active experts with GGML Q8_0 weights grouped by expert
     * ({@code [experts * dim, expertSize]}, model/sparse {@code ExpertMajorDown}: row
     * {@code e * dim + i} is expert e's slice of output row i, whole 34-byte blocks copied from
     * {@code ffn_down}, so no value is requantised). Slices and chunks as in
     * {@link #downPartialsBalancedF16Pairs}; item (chunk k, output i) adds, for each of its
     * slices, the slice's eight quants of row {@code e * dim + i} times the block scale times the
     * slice's activations. Neighbouring items read neighbouring rows. Requires {@code expertSize}
     * a multiple of 32.
     * Grid: 1-D covering {@code maxChunks * dim} items (fewer loop).
     * Traffic: reads 34/32 * count * expertSize * dim bytes of weights, writes 4 * chunks * dim.
     */
    public static void downPartialsBalancedQ8_0ExpertMajor(KernelContext ctx, ByteArray down, FloatArray hidden,
                                                           IntArray activeIds, IntArray activeCount, FloatArray partials,
                                                           int dim, int expertSize, int maxChunks) {
        int slicesPerExpert = expertSize / DOWN_SLICE;
        int slices = activeCount.get(0) * slicesPerExpert;
        int perChunk = slicesPerBalancedChunk(slices, maxChunks);
        int items = balancedChunks(slices, maxChunks) * dim;
        int blocksPerRow = expertSize / MatVec.Q8_0_BLOCK;
        int slicesPerBlock = MatVec.Q8_0_BLOCK / DOWN_SLICE;
        for (int t = ctx.globalIdx; t < items; t += ctx.globalGroupSizeX) {
            int chunk = t / dim;
            int i = t - chunk * dim;
            int first = chunk * perChunk;
            int end = Math.min(first + perChunk, slices);
            float acc = 0f;
            for (int u = first; u < end; u++) {
                int slot = u / slicesPerExpert;
                int e = activeIds.get(slot);
                int k = u - slot * slicesPerExpert; // slice within the expert
                int b = k / slicesPerBlock;
                long block = (((long) e * dim + i) * blocksPerRow + b) * MatVec.Q8_0_BLOCK_BYTES;
                long q = block + 2 + (k - b * slicesPerBlock) * DOWN_SLICE;
                int n = e * expertSize + k * DOWN_SLICE;
                float s = ((down.get(q) * hidden.get(n) + down.get(q + 1) * hidden.get(n + 1))
                        + (down.get(q + 2) * hidden.get(n + 2) + down.get(q + 3) * hidden.get(n + 3)))
                        + ((down.get(q + 4) * hidden.get(n + 4) + down.get(q + 5) * hidden.get(n + 5))
                        + (down.get(q + 6) * hidden.get(n + 6) + down.get(q + 7) * hidden.get(n + 7)));
                acc += down.getHalf(block) * s;
            }
            partials.set(t, acc);
        }
    }

    /**
     * Finishes a balanced split-K down projection: {@code out[i] = partials[0 * dim + i] +
     * partials[1 * dim + i] + ...} over the chunks in use (ascending; 0 when no expert is active).
     * Writes rather than adds, so {@code out} needs no zeroing and the residual add stays the
     * decoder's own. Grid: 1-D, any size (fewer items loop).
     * Traffic: reads 4 * chunks * dim bytes, writes 4 * dim.
     */
    public static void sumDownPartialsBalanced(KernelContext ctx, FloatArray partials, IntArray activeCount, FloatArray out,
                                               int dim, int expertSize, int maxChunks) {
        int chunks = balancedChunks(activeCount.get(0) * (expertSize / DOWN_SLICE), maxChunks);
        for (int i = ctx.globalIdx; i < dim; i += ctx.globalGroupSizeX) {
            float s0 = 0f;
            float s1 = 0f;
            int k = 0;
            for (; k + 1 < chunks; k += 2) {
                s0 += partials.get((long) k * dim + i);
                s1 += partials.get((long) (k + 1) * dim + i);
            }
            if (k < chunks) {
                s0 += partials.get((long) k * dim + i);
            }
            out.set(i, s0 + s1);
        }
    }

    /**
     * Finishes a balanced split-K down projection as {@link #sumDownPartialsBalanced} does
     * ({@code out[i] = } the sum of the chunks in use), with the chunks of each output spread over
     * {@code lanes} work-items instead of one: a group of L items covers {@code L / lanes}
     * neighbouring outputs; lane t adds chunks {@code t, t + lanes, ...} (two accumulators, fixed
     * order), then the lanes' sums meet in a tree in local memory. With 128 chunks and 4096
     * outputs one item per output made 4096 threads each waiting on up to 128 loads in a row (17 us
     * per layer on the H200); 16 lanes cut each item's chain to 8. The order is fixed by
     * {@code lanes}, not by the grid. {@code lanes} a power of two dividing L.
     * Grid: {@code WorkerGrid.of(ceil(dim / (L / lanes)) * L, L)} (fewer groups loop over tiles),
     * L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: reads 4 * chunks * dim bytes, writes 4 * dim.
     */
    public static void sumDownPartialsAcrossLanes(KernelContext ctx, FloatArray partials, IntArray activeCount, FloatArray out,
                                                  int dim, int expertSize, int maxChunks, int lanes) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int chunks = balancedChunks(activeCount.get(0) * (expertSize / DOWN_SLICE), maxChunks);
        int lid = ctx.localIdx;
        int width = ctx.localGroupSizeX / lanes;
        int lane = lid / width;
        int groups = ctx.globalGroupSizeX / ctx.localGroupSizeX;
        for (int tile = ctx.groupIdx; tile * width < dim; tile += groups) {
            int i = tile * width + (lid - lane * width);
            float s0 = 0f;
            float s1 = 0f;
            if (i < dim) {
                int k = lane;
                for (; k + lanes < chunks; k += 2 * lanes) {
                    s0 += partials.get((long) k * dim + i);
                    s1 += partials.get((long) (k + lanes) * dim + i);
                }
                if (k < chunks) {
                    s0 += partials.get((long) k * dim + i);
                }
            }
            scratch[lid] = s0 + s1;
            ctx.localBarrier();
            for (int stride = lanes / 2; stride > 0; stride /= 2) {
                if (lane < stride) {
                    scratch[lid] += scratch[lid + stride * width];
                }
                ctx.localBarrier();
            }
            if (lane == 0 && i < dim) {
                out.set(i, scratch[lid]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * As {@link #sumDownPartialsAcrossLanes}, but adds the FFN output into {@code out} (the
     * residual stream: {@code out[i] += sum of the chunks}) instead of writing it, so the decoder
     * needs no separate residual-add launch after the FFN. Grid and lanes as there.
     * Traffic: reads 4 * chunks * dim + 4 * dim bytes, writes 4 * dim.
     */
    public static void addDownPartialsAcrossLanes(KernelContext ctx, FloatArray partials, IntArray activeCount, FloatArray out,
                                                  int dim, int expertSize, int maxChunks, int lanes) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int chunks = balancedChunks(activeCount.get(0) * (expertSize / DOWN_SLICE), maxChunks);
        int lid = ctx.localIdx;
        int width = ctx.localGroupSizeX / lanes;
        int lane = lid / width;
        int groups = ctx.globalGroupSizeX / ctx.localGroupSizeX;
        for (int tile = ctx.groupIdx; tile * width < dim; tile += groups) {
            int i = tile * width + (lid - lane * width);
            float s0 = 0f;
            float s1 = 0f;
            if (i < dim) {
                int k = lane;
                for (; k + lanes < chunks; k += 2 * lanes) {
                    s0 += partials.get((long) k * dim + i);
                    s1 += partials.get((long) (k + lanes) * dim + i);
                }
                if (k < chunks) {
                    s0 += partials.get((long) k * dim + i);
                }
            }
            scratch[lid] = s0 + s1;
            ctx.localBarrier();
            for (int stride = lanes / 2; stride > 0; stride /= 2) {
                if (lane < stride) {
                    scratch[lid] += scratch[lid + stride * width];
                }
                ctx.localBarrier();
            }
            if (lane == 0 && i < dim) {
                out.set(i, out.get(i) + scratch[lid]);
            }
            ctx.localBarrier();
        }
    }
}
