package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * The fp16 sparse FFN's gate/up and down in one launch, the down following the gate/up chunk by
 * chunk of the active list instead of waiting for the whole of it.
 *
 * <p>Why: on the H200 every kernel pays 3-4 us of ramp and drain whatever it reads, and a sparse
 * layer's gate/up then down ({@link Experts#normedGateUpSiluActiveF16Pairs},
 * {@link Experts#downActiveF16PairsFourRows}) pays it twice; the down cannot start until the
 * last gate/up group has written its neurons, so the gate/up's drain and the down's ramp leave
 * the memory idle (docs/PERF.md). Here the down's groups start reading as soon as the gate/up
 * of the first listed experts is done, while later experts' gate/up still streams.
 *
 * <p>How: every work-group draws a ticket from a counter; tickets order the groups' roles by
 * when they started, whatever order the device placed them in. The first
 * {@code activeCount * expertSize / 2} tickets compute one neuron pair's gate/up each, as
 * {@link Experts#normedGateUpSiluActiveF16Pairs} does, and count themselves done in their
 * chunk of the list (chunks of {@code 2 * L / (expertSize / 2)} experts). The next
 * {@code ceil(dim / 4)} tickets each compute four output rows of the down, as
 * {@link Experts#downActiveF16PairsFourRows} does, chunk by chunk in list order, waiting (item 0
 * polling the chunk's counter) only for chunks not yet done; the rest return. A group waits
 * only for groups with smaller tickets, which started before it and wait for nothing, so the
 * wait always ends, on GPUs and on CPUs alike. A chunk is exactly one two-slot step of the down
 * per item, so every sum runs in the order of the two-kernel FFN and the results equal it bit
 * for bit. The group that finishes last resets the counters for the next launch.
 */
public final class ExpertsPipelined {
    private ExpertsPipelined() {
    }

    /** Counters of {@link #normedGateUpSiluThenDownActiveF16Pairs} before the per-chunk ones: the ticket, then the groups finished. */
    private static final int CHUNK_COUNTERS = 2;

    /** Ints of the {@code sync} array that {@link #normedGateUpSiluThenDownActiveF16Pairs} needs for {@code experts} experts, all zero before the first launch. */
    public static int syncInts(int experts) {
        return CHUNK_COUNTERS + experts;
    }

    /**
     * {@code residual += down . hidden} over the listed experts, with {@code hidden[n] =
     * silu(gate_n . xn) * (up_n . xn)}, {@code xn = RMSNorm(x) * normWeight}, for the listed
     * experts' neurons, in one launch (see the class comment). Inputs as the two kernels it joins
     * take them: the weighted input {@code x * normWeight} and the partial logits with the slices'
     * sums of squares from {@link Router#logitsFourExpertsSplitK}, the list and count from
     * {@link Router#compactActiveExpertsOfNormedSlices}, gate and up rows and the model's own
     * {@code [dim, ffnDim]} down as packed fp16 pairs. {@code sync} holds
     * {@link #syncInts}{@code (experts)} zeros before the first launch and again after each.
     * Requires {@code dim} and {@code expertSize} even.
     * Grid: {@code WorkerGrid.of((experts * expertSize / 2 + ceil(dim / 4)) * L, L)}, L a power
     * of two from 2 to {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: the two kernels' (4 * count * expertSize * dim bytes of gate/up weights, 2 * dim
     * * count * expertSize of down weights), plus a few atomics per group.
     */
    public static void normedGateUpSiluThenDownActiveF16Pairs(KernelContext ctx, IntArray gateW, IntArray upW,
                                                              FloatArray weightedInput, FloatArray partialLogits, int slices,
                                                              int experts, float eps, IntArray activeIds, IntArray activeCount,
                                                              FloatArray hidden, IntArray down, FloatArray residual, IntArray sync,
                                                              int dim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int[] shared = ctx.allocateIntLocalArray(2);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        if (lid == 0) {
            shared[0] = ctx.atomicAdd(sync, 0, 1);
        }
        ctx.localBarrier();
        int ticket = shared[0];
        int count = activeCount.get(0);
        int expertWords = expertSize / 2; // also the neuron pairs per expert
        int chunkExperts = Math.max(1, 2 * size / expertWords);
        int gateUpGroups = count * expertWords;

        // gate/up: neuron pair `ticket` of the list
        boolean gatesUp = ticket < gateUpGroups;
        int slot = ticket / expertWords;
        int words = dim / 2;
        int n0 = gatesUp ? activeIds.get(slot) * expertSize + 2 * (ticket - slot * expertWords) : 0;
        long row = (long) n0 * words;
        if (gatesUp) {
            MatVec.twoPlusTwoRowPartialsF16(ctx, scratch, gateW, row, row + words, upW, row, row + words, weightedInput, words);
        }
        GroupReduce.sumFourInPlace(ctx, scratch, gatesUp);
        if (gatesUp && lid < 2) {
            float scale = Router.sliceNormScale(partialLogits, slices, experts, dim, eps);
            float gate = scratch[lid * size] * scale;
            float up = scratch[(2 + lid) * size] * scale;
            hidden.set(n0 + lid, Activations.silu(gate) * up);
        }
        ctx.globalMemoryFence(); // the neurons before the chunk's count (every item: PoCL miscompiles a fence in a branch)
        ctx.localBarrier();
        if (gatesUp && lid == 0) {
            ctx.atomicAdd(sync, CHUNK_COUNTERS + slot / chunkExperts, 1);
        }

        // down: output rows r0 .. r0 + 3, chunk by chunk as the gate/up finishes them
        int r0 = 4 * (ticket - gateUpGroups);
        boolean downs = ticket >= gateUpGroups && r0 < dim;
        int rowWords = expertSize * experts / 2;
        long b0 = (long) Math.min(Math.max(r0, 0), dim - 1) * rowWords; // rows past the last: clamped, computed, not stored
        long b1 = (long) Math.min(Math.max(r0 + 1, 0), dim - 1) * rowWords;
        long b2 = (long) Math.min(Math.max(r0 + 2, 0), dim - 1) * rowWords;
        long b3 = (long) Math.min(Math.max(r0 + 3, 0), dim - 1) * rowWords;
        int chunks = downs ? (count + chunkExperts - 1) / chunkExperts : 0;
        scratch[lid] = 0f;
        scratch[size + lid] = 0f;
        scratch[2 * size + lid] = 0f;
        scratch[3 * size + lid] = 0f;
        int listChunks = (experts + chunkExperts - 1) / chunkExperts;
        for (int c = 0; c < listChunks; c++) { // a trip count from the arguments: PoCL needs barriers in uniform loops
            if (lid == 0 && c < chunks) {
                awaitDoneChunk(ctx, sync, c, count, chunkExperts, expertWords);
            }
            ctx.localBarrier();
            ctx.globalMemoryFence(); // the chunk's neurons after its count
            if (c < chunks) {
                int from = c * chunkExperts * expertWords;
                int to = Math.min((c + 1) * chunkExperts, count) * expertWords;
                addListedFourRowsF16(ctx, scratch, down, b0, b1, b2, b3, hidden, activeIds, from, to, expertWords);
            }
        }
        GroupReduce.sumFourInPlace(ctx, scratch, downs);
        if (downs && lid < 4 && r0 + lid < dim) {
            residual.set(r0 + lid, residual.get(r0 + lid) + scratch[lid * size]);
        }

        if (lid == 0 && ctx.atomicAdd(sync, 1, 1) == ctx.globalGroupSizeX / size - 1) {
            // every other group has finished with the counters: ready them for the next launch
            for (int i = 0; i < CHUNK_COUNTERS + listChunks; i++) {
                sync.set(i, 0);
            }
        }
    }

    /** Item 0 of a down group: waits until chunk {@code c} of the list is done, each of its experts' neuron pairs counted. */
    private static void awaitDoneChunk(KernelContext ctx, IntArray sync, int c, int count, int chunkExperts, int pairsPerExpert) {
        int pairs = Math.min(chunkExperts, count - c * chunkExperts) * pairsPerExpert;
        while (ctx.atomicAdd(sync, CHUNK_COUNTERS + c, 0) != pairs) {
            // the gate/up groups of this chunk hold smaller tickets: they run, and wait for nothing
        }
    }

    /**
     * Adds item lid's share of four down rows (word offsets {@code b0..b3}) over the listed
     * experts' word slots {@code from .. to - 1} into {@code scratch[k * L + lid]}: slots
     * {@code from + lid}, {@code + L}, two per step as {@link Experts#downActiveF16PairsFourRows}
     * takes them, so a range of {@code 2 * L} slots from a multiple of {@code 2 * L} adds what
     * that kernel adds, in its order.
     */
    private static void addListedFourRowsF16(KernelContext ctx, float[] scratch, IntArray down, long b0, long b1, long b2, long b3,
                                             FloatArray hidden, IntArray activeIds, int from, int to, int expertWords) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        float s0 = scratch[lid];
        float s1 = scratch[size + lid];
        float s2 = scratch[2 * size + lid];
        float s3 = scratch[3 * size + lid];
        int j = from + lid;
        for (; j + size < to; j += 2 * size) {
            int cj = Experts.listedIndex(activeIds, j, expertWords);
            int ck = Experts.listedIndex(activeIds, j + size, expertWords);
            int a0 = down.get(b0 + cj);
            int a1 = down.get(b1 + cj);
            int a2 = down.get(b2 + cj);
            int a3 = down.get(b3 + cj);
            int c0 = down.get(b0 + ck);
            int c1 = down.get(b1 + ck);
            int c2 = down.get(b2 + ck);
            int c3 = down.get(b3 + ck);
            float x0 = hidden.get(2 * cj);
            float x1 = hidden.get(2 * cj + 1);
            float x2 = hidden.get(2 * ck);
            float x3 = hidden.get(2 * ck + 1);
            s0 += MatVec.halfPair(a0, x0, x1) + MatVec.halfPair(c0, x2, x3);
            s1 += MatVec.halfPair(a1, x0, x1) + MatVec.halfPair(c1, x2, x3);
            s2 += MatVec.halfPair(a2, x0, x1) + MatVec.halfPair(c2, x2, x3);
            s3 += MatVec.halfPair(a3, x0, x1) + MatVec.halfPair(c3, x2, x3);
        }
        for (; j < to; j += size) {
            int c = Experts.listedIndex(activeIds, j, expertWords);
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
    }
}
