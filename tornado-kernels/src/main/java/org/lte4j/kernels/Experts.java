package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * The LTE sparse FFN at decode (DESIGN.md section 5), over the active experts that the router
 * listed on the device ({@link Router#compactActiveExpertsSummingSlices}, or the fp16 gate/up
 * kernel here that compacts for itself): {@code activeIds[0 .. activeCount[0])}.
 *
 * <p>Layout: expert e owns neurons {@code e * expertSize .. e * expertSize + expertSize - 1}.
 * The gate and up projections are row-major {@code ffnDim x dim} (a neuron's gate row and up row
 * are rows {@code n} of each, so an expert's rows are contiguous). The down projection is read
 * as the model stores it for fp16 and Q8_0 ({@code dim x ffnDim}: an expert's columns are
 * contiguous in every row) and transposed for F32 ({@code ffnDim x dim}).
 *
 * <p>Launch grids are fixed, sized for all experts, so a whole token step can be captured once;
 * work for slots at or past the active count, or of inactive experts, is skipped by a uniform
 * early exit.
 *
 * <p>A token's FFN is, for fp16: {@link #normedGateUpSiluActiveF16Pairs} (the norm folded in;
 * writes {@code hidden[n]} for active neurons only), then {@link #downActiveF16PairsFourRows}
 * (whole output rows, added into the residual); for Q8_0 the same two steps on split Q8_0 rows.
 * For F32: {@code gateUpSiluActive...}, {@code downPartialsBalanced...} (split-K: the
 * active neurons cut into slices of {@link #DOWN_SLICE}, at most {@code maxChunks} partial output
 * vectors), then {@link #sumDownPartialsAcrossLanes} or {@link #addDownPartialsAcrossLanes} (the
 * partials added in chunk order). Every sum runs in an order fixed by the kernel's arguments and
 * the work-group size (active experts ascending, neurons ascending, chunks ascending), so the
 * result does not depend on the device or the number of groups.
 */
public final class Experts {
    private Experts() {
    }

    /**
     * {@code hidden[n] = silu(gate_n . x) * (up_n . x)} for every neuron n of every active expert,
     * fp32 weights. One work-group per (active slot, neuron): items stride over {@code dim}
     * accumulating both dot products, reduced together in local memory.
     * Grid: {@code WorkerGrid.of(experts * expertSize * L, L)} for all experts (fewer groups loop),
     * L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: reads 8 * count * expertSize * dim bytes of weights, writes 4 * count * expertSize.
     */
    public static void gateUpSiluActiveF32(KernelContext ctx, FloatArray gateW, FloatArray upW, FloatArray x,
                                           IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                           int dim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(2 * GroupLimits.MAX_LOCAL_SIZE); // gate sums, then up sums
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int neuron = listedIndex(activeIds, g, expertSize);
            long base = (long) neuron * dim;
            float gate = 0f;
            float up = 0f;
            for (int c = lid; c < dim; c += size) {
                float xc = x.get(c);
                gate += gateW.get(base + c) * xc;
                up += upW.get(base + c) * xc;
            }
            siluOfGroupSums(ctx, scratch, gate, up, hidden, neuron);
        }
    }

    /**
     * Item {@code i % perExpert} of the expert in slot {@code i / perExpert} of the active list,
     * counted in units of which each expert has {@code perExpert} (neurons, or the down rows'
     * words): how the sparse kernels walk the active experts' rows or columns as one range.
     */
    static int listedIndex(IntArray activeIds, int i, int perExpert) {
        return activeIds.get(i / perExpert) * perExpert + i % perExpert;
    }

    /**
     * The end of the one-neuron gate/up kernels, called by every item with its partial sums:
     * {@code hidden[neuron] = silu(sum of gate) * sum of up}, the two sums reduced together in
     * local memory; ends with a barrier, so the next neuron may write {@code scratch} at once.
     */
    static void siluOfGroupSums(KernelContext ctx, float[] scratch, float gate, float up, FloatArray hidden, int neuron) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        scratch[lid] = gate;
        scratch[size + lid] = up;
        GroupReduce.sumRowsInPlace(ctx, scratch, 2, true);
        if (lid == 0) {
            hidden.set(neuron, Activations.silu(scratch[0]) * scratch[size]);
        }
        ctx.localBarrier(); // scratch is written again by the next neuron
    }

    /**
     * As {@link #gateUpSiluActiveF32} with fp16 gate and up weights, one half per element, on an input normed already: the
     * fp16 gate/up where {@link #normedGateUpSiluActiveF16Pairs} cannot run
     * ({@code dim} or {@code expertSize} odd, or a caller that norms the input itself).
     * Traffic: reads 4 * count * expertSize * dim bytes of weights.
     */
    public static void gateUpSiluActiveF16(KernelContext ctx, HalfArray gateW, HalfArray upW, FloatArray x,
                                           IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                           int dim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(2 * GroupLimits.MAX_LOCAL_SIZE); // gate sums, then up sums
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int neuron = listedIndex(activeIds, g, expertSize);
            long base = (long) neuron * dim;
            float gate = 0f;
            float up = 0f;
            for (int c = lid; c < dim; c += size) {
                float xc = x.get(c);
                gate += gateW.get(base + c) * xc;
                up += upW.get(base + c) * xc;
            }
            siluOfGroupSums(ctx, scratch, gate, up, hidden, neuron);
        }
    }

    /**
     * As {@link #gateUpSiluActiveF32} with GGML Q8_0 gate and up weights: each neuron's row is
     * {@code dim / 32} blocks of 34 bytes ({@code dim} a multiple of 32), rows back to back. The
     * decode's Q8_0 gate/up where {@link #gateUpSiluActiveQ8_0SplitWordsFourNeurons} cannot run
     * ({@code expertSize} not a multiple of 4).
     * Traffic: reads 2 * 34/32 * count * expertSize * dim bytes of weights.
     */
    public static void gateUpSiluActiveQ8_0(KernelContext ctx, ByteArray gateW, ByteArray upW, FloatArray x,
                                            IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                            int dim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(2 * GroupLimits.MAX_LOCAL_SIZE); // gate sums, then up sums
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int activeNeurons = activeCount.get(0) * expertSize;
        long rowBytes = (long) (dim / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (int g = ctx.groupIdx; g < activeNeurons; g += groups) {
            int neuron = listedIndex(activeIds, g, expertSize);
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
            siluOfGroupSums(ctx, scratch, gate, up, hidden, neuron);
        }
    }

    /**
     * The fp16 gate/up of a sparse layer with the FFN's RMSNorm folded in:
     * {@code hidden[n] = silu(gate_n . xn) * (up_n . xn)}, {@code xn = RMSNorm(x) * normWeight},
     * for the neurons of the listed experts ({@code activeIds[0 .. activeCount[0])}, from
     * {@link Router#compactActiveExpertsOfNormedSlices}). Its input is what
     * {@link Router#logitsFourExpertsSplitK} leaves: the weighted input {@code x * normWeight} and,
     * after the partial logits, the slices' sums of x^2, whose norm scale
     * {@code 1 / sqrt(mean(x^2) + eps)} ({@link Router#sliceNormScale}) multiplies the dots at the
     * end; so the group neither loads {@code x} and {@code normWeight} separately nor sums squares.
     * Weights are read as packed pairs (two halves per 32-bit word, the layout of
     * {@link MatVec#gemvF16Pairs}; view a {@code HalfArray} with {@code IntArray.wrap(halves.segment())}),
     * one pair of neurons per work-group: four rows (gate n0, gate n0+1, up n0, up n0+1) share each
     * input load, eight loads in flight ({@link MatVec#twoPlusTwoRowPartialsF16}), as the dense
     * {@link FusedMatVec#normedGateUpSiluF16}. Over a list, this kernel runs as fast as that dense
     * kernel over the same number of neurons; a kernel that routed for itself in every group
     * (each reading its expert's logit) took 4-5 us longer per llama2-7b layer on the H200, which
     * is what the list's compaction launch costs (docs/PERF.md). Group g works on pair
     * {@code g % (expertSize / 2)} of the expert in slot {@code g / (expertSize / 2)}; groups past
     * the active count return at once (the whole group, before any barrier). Requires {@code dim}
     * and {@code expertSize} even.
     * Grid: exactly one group per neuron pair of all experts,
     * {@code WorkerGrid.of(experts * expertSize / 2 * L, L)}, L a power of two from 2 to
     * {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: reads 4 * count * expertSize * dim bytes of weights, 4 * dim bytes of the weighted
     * input per active pair (from cache), 4 * slices bytes of sums of squares per group, writes
     * 4 * count * expertSize.
     */
    public static void normedGateUpSiluActiveF16Pairs(KernelContext ctx, IntArray gateW, IntArray upW, FloatArray weightedInput,
                                                      FloatArray partialLogits, int slices, int experts, float eps,
                                                      IntArray activeIds, IntArray activeCount, FloatArray hidden, int dim,
                                                      int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int pairsPerExpert = expertSize / 2;
        int slot = ctx.groupIdx / pairsPerExpert;
        if (slot >= activeCount.get(0)) {
            return; // uniform per group: no item of it reaches a barrier
        }
        float scale = Router.sliceNormScale(partialLogits, slices, experts, dim, eps);
        int n0 = activeIds.get(slot) * expertSize + 2 * (ctx.groupIdx - slot * pairsPerExpert);
        int words = dim / 2;
        long row = (long) n0 * words;
        MatVec.twoPlusTwoRowPartialsF16(ctx, scratch, gateW, row, row + words, upW, row, row + words, weightedInput, words);
        GroupReduce.sumFourInPlace(ctx, scratch, true);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        if (lid < 2) {
            float gate = scratch[lid * size] * scale;
            float up = scratch[(2 + lid) * size] * scale;
            hidden.set(n0 + lid, Activations.silu(gate) * up);
        }
    }

    /**
     * {@link #gateUpSiluActiveQ8_0} on Q8_0 rows split into int8 quants loaded as 32-bit words
     * (four weights per load) and fp16 block scales ({@link Q8_0Split}, the form the dense Q8_0
     * GEMV {@link MatVec#gemvQ8_0SplitWordsFourRows} reads), four neurons per work-group sharing
     * each x load, eight word loads in flight. Requires {@code dim} a multiple of 32 and
     * {@code expertSize} a multiple of 4.
     * Grid: exactly one group per four neurons of all experts, {@code WorkerGrid.of(experts * expertSize / 4 * L, L)},
     * L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}; groups past the active count
     * return at once (the whole group, before any barrier).
     * Traffic: reads 2 * 34/32 * count * expertSize * dim bytes of weights.
     */
    public static void gateUpSiluActiveQ8_0SplitWordsFourNeurons(KernelContext ctx, IntArray gateQuants, HalfArray gateScales,
                                                                 IntArray upQuants, HalfArray upScales, FloatArray x,
                                                                 IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                                                 int dim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(8 * GroupLimits.MAX_LOCAL_SIZE);
        int n0 = listedFourNeurons(ctx, activeIds, activeCount, expertSize);
        if (n0 < 0) {
            return; // uniform per group: no item of it reaches a barrier
        }
        gateUpSiluQ8_0FourNeurons(ctx, scratch, gateQuants, gateScales, upQuants, upScales, x, 1f, hidden, n0, dim);
    }

    /**
     * {@link #gateUpSiluActiveQ8_0SplitWordsFourNeurons} with the FFN's RMSNorm folded in, as the
     * fp16 sparse layer folds it ({@link #normedGateUpSiluActiveF16Pairs}): the input is the
     * weighted input {@code x * normWeight} that {@link Router#logitsFourExpertsSplitK} wrote, the
     * list is the one {@link Router#compactActiveExpertsOfNormedSlices} made from the same
     * logits, and both dots are scaled by the norm's {@code 1 / sqrt(mean(x^2) + eps)}
     * ({@link Router#sliceNormScale}, from the slices' sums of squares after the logits), so a
     * Q8_0 sparse layer needs no RMSNorm launch. Same grid, requirements and traffic.
     */
    public static void normedGateUpSiluActiveQ8_0SplitWordsFourNeurons(KernelContext ctx, IntArray gateQuants, HalfArray gateScales,
                                                                       IntArray upQuants, HalfArray upScales, FloatArray weightedInput,
                                                                       FloatArray partialLogits, int slices, int experts, float eps,
                                                                       IntArray activeIds, IntArray activeCount, FloatArray hidden,
                                                                       int dim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(8 * GroupLimits.MAX_LOCAL_SIZE);
        int n0 = listedFourNeurons(ctx, activeIds, activeCount, expertSize);
        if (n0 < 0) {
            return; // uniform per group: no item of it reaches a barrier
        }
        float scale = Router.sliceNormScale(partialLogits, slices, experts, dim, eps);
        gateUpSiluQ8_0FourNeurons(ctx, scratch, gateQuants, gateScales, upQuants, upScales, weightedInput, scale, hidden, n0, dim);
    }

    /**
     * The first of the four neurons that group g of the split Q8_0 gate/up kernels works on: its
     * part of the expert in slot {@code g / (expertSize / 4)} of the active list, or -1 when that
     * slot is past the active count (the same for every item of the group).
     */
    static int listedFourNeurons(KernelContext ctx, IntArray activeIds, IntArray activeCount, int expertSize) {
        int groupsPerExpert = expertSize / 4;
        int slot = ctx.groupIdx / groupsPerExpert;
        if (slot >= activeCount.get(0)) {
            return -1;
        }
        return activeIds.get(slot) * expertSize + (ctx.groupIdx - slot * groupsPerExpert) * 4;
    }

    /**
     * The body of the split Q8_0 gate/up kernels: neurons {@code n0 .. n0+3},
     * {@code hidden[n] = silu(scale * gate_n . x) * (scale * up_n . x)}. Every item of the group calls it.
     */
    static void gateUpSiluQ8_0FourNeurons(KernelContext ctx, float[] scratch, IntArray gateQuants, HalfArray gateScales,
                                          IntArray upQuants, HalfArray upScales, FloatArray x, float scale, FloatArray hidden,
                                          int n0, int dim) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
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
        sumAndStoreFourNeurons(ctx, scratch, g0, g1, g2, g3, u0, u1, u2, u3, scale, hidden, n0);
    }

    /**
     * The end of a four-neuron gate/up group: the items' partial gate dots {@code g0..g3} and up
     * dots {@code u0..u3} reduced over the group, each times {@code scale} (the norm's, or 1),
     * and {@code hidden[n0 + i] = silu(gate_i) * up_i} stored by items 0-3.
     */
    static void sumAndStoreFourNeurons(KernelContext ctx, float[] scratch, float g0, float g1, float g2, float g3, float u0, float u1,
                                       float u2, float u3, float scale, FloatArray hidden, int n0) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        scratch[lid] = g0;
        scratch[size + lid] = g1;
        scratch[2 * size + lid] = g2;
        scratch[3 * size + lid] = g3;
        scratch[4 * size + lid] = u0;
        scratch[5 * size + lid] = u1;
        scratch[6 * size + lid] = u2;
        scratch[7 * size + lid] = u3;
        GroupReduce.sumRowsInPlace(ctx, scratch, 8, true);
        if (lid < 4) {
            hidden.set(n0 + lid, Activations.silu(scratch[lid * size] * scale) * (scratch[(4 + lid) * size] * scale));
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
     * Split-K down projection over the active experts, fp32 weights stored transposed
     * ({@code ffnDim x dim}, row n = neuron n's output column). The active neurons are cut into
     * slices of {@link #DOWN_SLICE} (slice u is neurons {@code (u % s) * 8 ..} of active slot
     * {@code u / s}, {@code s = expertSize / 8}); chunk k holds slices
     * {@code k * p .. min((k + 1) * p, slices) - 1}, {@code p = ceil(slices / maxChunks)}.
     * Item (chunk k, output i) computes
     * {@code partials[k * dim + i] = sum over the chunk's neurons n of hidden[n] * downT[n][i]},
     * eight independent loads in flight per slice. Requires {@code expertSize} a multiple of 8.
     * {@code partials} holds {@code maxChunks * dim} floats; items past the chunks in use do nothing.
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
     * Lane {@code lane}'s share of output i's chunk sum: chunks {@code lane, lane + lanes, ...}
     * below {@code chunks}, added in that order in two accumulators (two loads in flight); 0 for
     * an item past the outputs ({@code i >= dim}).
     */
    static float laneShareOfChunks(FloatArray partials, int chunks, int dim, int i, int lane, int lanes) {
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
        return s0 + s1;
    }

    /**
     * Finishes a balanced split-K down projection: {@code out[i] = partials[0 * dim + i] +
     * partials[1 * dim + i] + ...} over the chunks in use (0 when no expert is active). Writes
     * rather than adds, so {@code out} needs no zeroing. The chunks of each output are spread over
     * {@code lanes} work-items instead of one: a group of L items covers {@code L / lanes}
     * neighbouring outputs; lane t adds chunks {@code t, t + lanes, ...} ({@link #laneShareOfChunks}),
     * then the lanes' sums meet in a tree in local memory ({@link GroupReduce#sumAcrossLanes}).
     * With 128 chunks and 4096 outputs one item per output made 4096 threads each waiting on up to
     * 128 loads in a row (17 us per layer on the H200); 16 lanes cut each item's chain to 8. The
     * order is fixed by {@code lanes}, not by the grid. {@code lanes} a power of two dividing L.
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
            float sum = GroupReduce.sumAcrossLanes(ctx, scratch, laneShareOfChunks(partials, chunks, dim, i, lane, lanes), lanes);
            if (lane == 0 && i < dim) {
                out.set(i, sum);
            }
            ctx.localBarrier(); // scratch is written again by the next tile
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
            float sum = GroupReduce.sumAcrossLanes(ctx, scratch, laneShareOfChunks(partials, chunks, dim, i, lane, lanes), lanes);
            if (lane == 0 && i < dim) {
                out.set(i, out.get(i) + sum);
            }
            ctx.localBarrier(); // scratch is written again by the next tile
        }
    }

    /**
     * The down projection over the active experts only, as a dense four-row GEMV restricted to
     * their columns: {@code out[r] = sum over active e, n in e of down[r][n] * hidden[n]} (or, with
     * {@code adding}, {@code out[r] +=} that sum: the FFN's residual add folded in), with
     * {@code down} the model's own {@code [dim, ffnDim]} fp16 matrix packed two per word (an
     * expert's columns are 32 contiguous halves of each row). Each group computes four whole
     * output rows, so no partial vectors and no second kernel sum them, and the order of the
     * sum is fixed by the ascending active list. The list must come from a kernel launched at
     * least two before this one (the compaction before the gate/up): each item reads it and
     * loads its first step's weights before {@link KernelContext#awaitPrecedingKernel}, so on
     * CUDA those loads overlap the gate/up's tail, and only {@code hidden} (which the gate/up
     * writes) is read after the wait (on the H200 0.8 us less per llama2-7b layer at 80%
     * sparsity, docs/PERF.md). Grid: {@code (ceil(dim / 4) * L, L)}.
     * Traffic: reads 2 * dim * expertSize * activeCount bytes of weights, writes 4 * dim (and
     * reads as much, adding).
     */
    public static void downActiveF16PairsFourRows(KernelContext ctx, IntArray down, FloatArray hidden, IntArray activeIds,
                                                  IntArray activeCount, FloatArray out, boolean adding, int dim, int ffnDim,
                                                  int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int r0 = 4 * ctx.groupIdx;
        int rowWords = ffnDim / 2;
        int expertWords = expertSize / 2;
        int slots = activeCount.get(0) * expertWords;
        long b0 = (long) Math.min(r0, dim - 1) * rowWords; // rows past the last: clamped, computed, not stored
        long b1 = (long) Math.min(r0 + 1, dim - 1) * rowWords;
        long b2 = (long) Math.min(r0 + 2, dim - 1) * rowWords;
        long b3 = (long) Math.min(r0 + 3, dim - 1) * rowWords;
        // slot s is word s % expertWords of the expert listed at s / expertWords; two slots per step
        int j = lid;
        int cj = 0;
        int ck = 0;
        int a0 = 0;
        int a1 = 0;
        int a2 = 0;
        int a3 = 0;
        int c0 = 0;
        int c1 = 0;
        int c2 = 0;
        int c3 = 0;
        if (j + size < slots) {
            cj = listedIndex(activeIds, j, expertWords);
            ck = listedIndex(activeIds, j + size, expertWords);
            a0 = down.get(b0 + cj);
            a1 = down.get(b1 + cj);
            a2 = down.get(b2 + cj);
            a3 = down.get(b3 + cj);
            c0 = down.get(b0 + ck);
            c1 = down.get(b1 + ck);
            c2 = down.get(b2 + ck);
            c3 = down.get(b3 + ck);
        }
        ctx.awaitPrecedingKernel();
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        for (; j + size < slots; j += 2 * size) {
            float x0 = hidden.get(2 * cj);
            float x1 = hidden.get(2 * cj + 1);
            float x2 = hidden.get(2 * ck);
            float x3 = hidden.get(2 * ck + 1);
            s0 += MatVec.halfPair(a0, x0, x1) + MatVec.halfPair(c0, x2, x3);
            s1 += MatVec.halfPair(a1, x0, x1) + MatVec.halfPair(c1, x2, x3);
            s2 += MatVec.halfPair(a2, x0, x1) + MatVec.halfPair(c2, x2, x3);
            s3 += MatVec.halfPair(a3, x0, x1) + MatVec.halfPair(c3, x2, x3);
            int next = j + 2 * size;
            if (next + size < slots) { // the next step's weights, loaded before this step's sums are needed
                cj = listedIndex(activeIds, next, expertWords);
                ck = listedIndex(activeIds, next + size, expertWords);
                a0 = down.get(b0 + cj);
                a1 = down.get(b1 + cj);
                a2 = down.get(b2 + cj);
                a3 = down.get(b3 + cj);
                c0 = down.get(b0 + ck);
                c1 = down.get(b1 + ck);
                c2 = down.get(b2 + ck);
                c3 = down.get(b3 + ck);
            }
        }
        for (; j < slots; j += size) {
            int c = listedIndex(activeIds, j, expertWords);
            float x0 = hidden.get(2 * c);
            float x1 = hidden.get(2 * c + 1);
            s0 += MatVec.halfPair(down.get(b0 + c), x0, x1);
            s1 += MatVec.halfPair(down.get(b1 + c), x0, x1);
            s2 += MatVec.halfPair(down.get(b2 + c), x0, x1);
            s3 += MatVec.halfPair(down.get(b3 + c), x0, x1);
        }
        scratch[lid] = s0;
        scratch[size + lid] = s1;
        scratch[2 * size + lid] = s2;
        scratch[3 * size + lid] = s3;
        MatVec.sumAndStoreFourRows(ctx, scratch, out, adding, r0, dim);
    }

    /**
     * {@link #downActiveF16PairsFourRows} over the model's own Q8_0 down matrix split into quant
     * words and block scales ({@link Q8_0Split}, as {@link MatVec#gemvQ8_0SplitWordsFourRows}
     * reads it): with an expert size that is a multiple of 32, an expert's columns of a row are
     * whole blocks, so the active experts' bytes are read and nothing else, without an
     * expert-major copy, split-K partials or a second kernel to sum them. Written to
     * {@code out}, or added into it with {@code adding}. Four slots of each row in flight per item
     * (sixteen quant loads), as the Q8_0 GEMV. Unlike the fp16 down it waits for the gate/up
     * before it reads anything: loading the list and the first sixteen words before the wait
     * measured 0.06 ms/token slower at 50% sparsity on the H200 (docs/PERF.md). Requires
     * {@code expertSize} a multiple of 32. Grid: {@code (ceil(dim / 4) * L, L)}.
     * Traffic: reads 34/32 * dim * expertSize * activeCount bytes of weights, writes 4 * dim (and
     * reads as much, adding).
     */
    public static void downActiveQ8_0FourRows(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray hidden,
                                              IntArray activeIds, IntArray activeCount, FloatArray out, boolean adding, int dim,
                                              int ffnDim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int r0 = 4 * ctx.groupIdx;
        activeFourRowPartialsQ8_0(ctx, scratch, quants, scales, hidden, activeIds, activeCount, r0, dim, ffnDim, expertSize);
        MatVec.sumAndStoreFourRows(ctx, scratch, out, adding, r0, dim);
    }

    /**
     * Item lid's partial dots of split Q8_0 rows {@code r0 .. r0+3} (clamped to the last row)
     * with the active experts' part of {@code hidden}, into {@code scratch[k * L + lid]}. Slot s
     * is quant word {@code s % (expertSize/4)} of active expert {@code s / (expertSize/4)}; four
     * slots per iteration.
     */
    static void activeFourRowPartialsQ8_0(KernelContext ctx, float[] scratch, IntArray quants, HalfArray scales, FloatArray hidden,
                                          IntArray activeIds, IntArray activeCount, int r0, int rows, int ffnDim, int expertSize) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        if (r0 < rows) {
            int rowWords = ffnDim / 4;
            int expertWords = expertSize / 4;
            int slots = activeCount.get(0) * expertWords;
            long b0 = (long) r0 * rowWords;
            long b1 = (long) Math.min(r0 + 1, rows - 1) * rowWords;
            long b2 = (long) Math.min(r0 + 2, rows - 1) * rowWords;
            long b3 = (long) Math.min(r0 + 3, rows - 1) * rowWords;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int j = lid;
            for (; j + 3 * size < slots; j += 4 * size) {
                int cj = listedIndex(activeIds, j, expertWords);
                int k = j + size;
                int ck = listedIndex(activeIds, k, expertWords);
                int m = k + size;
                int cm = listedIndex(activeIds, m, expertWords);
                int n = m + size;
                int cn = listedIndex(activeIds, n, expertWords);
                int q0 = quants.get(b0 + cj);
                int q1 = quants.get(b1 + cj);
                int q2 = quants.get(b2 + cj);
                int q3 = quants.get(b3 + cj);
                int p0 = quants.get(b0 + ck);
                int p1 = quants.get(b1 + ck);
                int p2 = quants.get(b2 + ck);
                int p3 = quants.get(b3 + ck);
                int u0 = quants.get(b0 + cm);
                int u1 = quants.get(b1 + cm);
                int u2 = quants.get(b2 + cm);
                int u3 = quants.get(b3 + cm);
                int v0 = quants.get(b0 + cn);
                int v1 = quants.get(b1 + cn);
                int v2 = quants.get(b2 + cn);
                int v3 = quants.get(b3 + cn);
                s0 += (MatVec.scaledWordDot(q0, scales, b0, hidden, cj) + MatVec.scaledWordDot(p0, scales, b0, hidden, ck))
                        + (MatVec.scaledWordDot(u0, scales, b0, hidden, cm) + MatVec.scaledWordDot(v0, scales, b0, hidden, cn));
                s1 += (MatVec.scaledWordDot(q1, scales, b1, hidden, cj) + MatVec.scaledWordDot(p1, scales, b1, hidden, ck))
                        + (MatVec.scaledWordDot(u1, scales, b1, hidden, cm) + MatVec.scaledWordDot(v1, scales, b1, hidden, cn));
                s2 += (MatVec.scaledWordDot(q2, scales, b2, hidden, cj) + MatVec.scaledWordDot(p2, scales, b2, hidden, ck))
                        + (MatVec.scaledWordDot(u2, scales, b2, hidden, cm) + MatVec.scaledWordDot(v2, scales, b2, hidden, cn));
                s3 += (MatVec.scaledWordDot(q3, scales, b3, hidden, cj) + MatVec.scaledWordDot(p3, scales, b3, hidden, ck))
                        + (MatVec.scaledWordDot(u3, scales, b3, hidden, cm) + MatVec.scaledWordDot(v3, scales, b3, hidden, cn));
            }
            for (; j < slots; j += size) {
                int cj = listedIndex(activeIds, j, expertWords);
                s0 += MatVec.scaledWordDot(quants.get(b0 + cj), scales, b0, hidden, cj);
                s1 += MatVec.scaledWordDot(quants.get(b1 + cj), scales, b1, hidden, cj);
                s2 += MatVec.scaledWordDot(quants.get(b2 + cj), scales, b2, hidden, cj);
                s3 += MatVec.scaledWordDot(quants.get(b3 + cj), scales, b3, hidden, cj);
            }
            scratch[lid] = s0;
            scratch[size + lid] = s1;
            scratch[2 * size + lid] = s2;
            scratch[3 * size + lid] = s3;
        }
    }
}
