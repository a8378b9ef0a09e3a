package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.PackedBytes;

/**
 * Split Q8_0 GEMVs whose input vector is quantized to int8 blocks as well, as GGML's
 * {@code q8_0 x q8_0} dot does: each block of 32 inputs becomes 32 int8 quants (packed four per
 * int, as the weights' quant words are) and one scale, {@code d = max|x| / 127}, {@code q =
 * round(x / d)}; here the scale stays fp32 where GGML rounds it to fp16. A word of weights times a
 * word of input is then one integer dot of four bytes ({@link PackedBytes#dot}: {@code __dp4a} on
 * CUDA), scaled by both blocks' scales, where the float kernels
 * ({@link MatVec#gemvQ8_0SplitWordsFourRows}) convert and multiply every quant: on the H200 those
 * are bound by that arithmetic, not by memory (docs/PERF.md).
 *
 * <p>The input is quantized once per vector by {@link #quantize} (or {@link #normedQuantize},
 * RMSNorm and quantization in one group) and read by every group from cache; the quantizations
 * need groups of at least 8 items (a block's eight words). Results differ from
 * the float kernels by the input's rounding (at most half a step, {@code d / 2}, per element);
 * they equal a scalar {@code q8_0 x q8_0} dot up to float summation order. Weights are
 * {@link Q8_0Split}'s layout. Grids of the GEMVs: {@code (ceil(rows / 4) * L, L)}, L a power of
 * two, at least 4, at most {@link GroupLimits#MAX_LOCAL_SIZE}.
 */
public final class QuantizedInputMatVec {
    private QuantizedInputMatVec() {
    }

    /** Items per block of 32 inputs in the quantizations: one per quant word. */
    private static final int ITEMS_PER_BLOCK = MatVec.Q8_0_BLOCK / 4;

    /**
     * {@code x} (n a multiple of 32) as int8 blocks: {@code quants[n / 4]} four per word (element
     * 4j in the low byte of word j) and {@code scales[n / 32]}. An item per word: its four
     * elements' largest magnitude goes to local memory, and after one barrier each item reads its
     * block's eight (an item per block, walking 32 elements twice, took 12-16 us on the H200).
     * Grid: {@code (ceil(n / 4 / L) * L, L)}, L a power of two, at least 8.
     * Traffic: reads 4n bytes, writes 1.125n.
     */
    public static void quantize(KernelContext ctx, FloatArray x, IntArray quants, FloatArray scales, int n) {
        float[] maxima = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        quantizeWord(ctx, maxima, x, x, 1f, false, ctx.globalIdx, n / 4, quants, scales);
    }

    /**
     * {@link #quantize} of {@code RMSNorm(x) * weight}: one group sums the squares, then its
     * items quantize L words at a time. Grid: exactly one group, {@code WorkerGrid.of(L, L)}, L a
     * power of two, at least 8. Traffic: reads 8n bytes (x twice, the weight once), writes 1.125n.
     */
    public static void normedQuantize(KernelContext ctx, FloatArray x, FloatArray weight, IntArray quants, FloatArray scales, int n,
                                      float eps) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float[] maxima = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        float scale = Normalization.rmsScale(ctx, scratch, x, n, eps);
        quantizeInTurns(ctx, maxima, x, weight, scale, true, quants, scales, 0, n);
    }

    /**
     * One group quantizes elements {@code [from, to)} of {@code x * scale (* weight)} (from a
     * multiple of 32, to one of 4), L words a turn.
     */
    static void quantizeInTurns(KernelContext ctx, float[] maxima, FloatArray x, FloatArray weight, float scale, boolean weighted,
                                IntArray quants, FloatArray scales, int from, int to) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        for (int first = from / 4; first < to / 4; first += size) { // every item takes every turn: the barriers inside
            quantizeWord(ctx, maxima, x, weight, scale, weighted, first + lid, to / 4, quants, scales);
            ctx.localBarrier(); // the block's maxima are read before the next turn writes them
        }
    }

    /**
     * Word j (of {@code words}) of {@code x * scale (* weight when weighted)}, quantized with its
     * block's scale; item {@code lid} holds word j, and the eight items of a block are
     * neighbours (j and lid agree modulo 8). Items past the end take part in the barrier only.
     */
    private static void quantizeWord(KernelContext ctx, float[] maxima, FloatArray x, FloatArray weight, float scale, boolean weighted,
                                     int j, int words, IntArray quants, FloatArray scales) {
        int lid = ctx.localIdx;
        float v0 = 0f;
        float v1 = 0f;
        float v2 = 0f;
        float v3 = 0f;
        if (j < words) {
            int c = 4 * j;
            v0 = x.get(c) * scale * (weighted ? weight.get(c) : 1f);
            v1 = x.get(c + 1) * scale * (weighted ? weight.get(c + 1) : 1f);
            v2 = x.get(c + 2) * scale * (weighted ? weight.get(c + 2) : 1f);
            v3 = x.get(c + 3) * scale * (weighted ? weight.get(c + 3) : 1f);
        }
        maxima[lid] = Math.max(Math.max(Math.abs(v0), Math.abs(v1)), Math.max(Math.abs(v2), Math.abs(v3)));
        ctx.localBarrier();
        int first = lid - lid % ITEMS_PER_BLOCK;
        float max = 0f;
        for (int i = first; i < first + ITEMS_PER_BLOCK; i++) {
            max = Math.max(max, maxima[i]);
        }
        float d = max / 127f;
        float inverse = d == 0f ? 0f : 1f / d;
        if (j < words) {
            quants.set(j, (Math.round(v0 * inverse) & 0xff) | (Math.round(v1 * inverse) & 0xff) << 8
                    | (Math.round(v2 * inverse) & 0xff) << 16 | (Math.round(v3 * inverse) & 0xff) << 24);
            if (j % ITEMS_PER_BLOCK == 0) {
                scales.set(j / ITEMS_PER_BLOCK, d);
            }
        }
    }

    /**
     * {@link FusedMatVec#normedQkvRopeIntoCacheQ8_0} over an input normed and quantized already
     * ({@link #normedQuantize}): q/k/v rows four per group, then the bias, RoPE and the K/V
     * store. Same grid; {@code dim} a multiple of 32, {@code headDim} of 4.
     * Traffic: reads 34/32 * (qDim + 2 kvDim) * dim bytes of weights, writes 4 * (qDim + 2 kvDim).
     */
    public static void qkvRopeIntoCacheQ8_0(KernelContext ctx, IntArray xQuants, FloatArray xScales,
                                            IntArray wqQuants, HalfArray wqScales, IntArray wkQuants, HalfArray wkScales,
                                            IntArray wvQuants, HalfArray wvScales, FloatArray bq, FloatArray bk, FloatArray bv,
                                            IntArray position, FloatArray inverseFrequencies,
                                            FloatArray q, FloatArray keyCache, FloatArray valueCache,
                                            int dim, int qDim, int kvDim, int headDim) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int part = FusedMatVec.qkvPart(ctx.groupIdx, qDim, kvDim);
        int r0 = FusedMatVec.qkvFirstRow(ctx.groupIdx, part, qDim, kvDim);
        IntArray quants = part == 0 ? wqQuants : part == 1 ? wkQuants : wvQuants; // one call site, as in the float kernels
        HalfArray scales = part == 0 ? wqScales : part == 1 ? wkScales : wvScales;
        fourRowPartials(ctx, scratch, quants, scales, xQuants, xScales, r0, part == 0 ? qDim : kvDim, dim);
        GroupReduce.sumFourInPlace(ctx, scratch, true);
        FusedMatVec.qkvEpilogue(ctx, scratch, 1f, part, r0, bq, bk, bv, position, inverseFrequencies, q, keyCache, valueCache, kvDim,
                headDim);
    }

    /**
     * The FFN's first half over an input normed and quantized already: {@code out[n] =
     * silu(gate_n . x) * (up_n . x)}, four neurons per group, two words of one block of each of
     * their eight rows per step (as {@link #fourRowPartials} takes them). {@code hidden}
     * a multiple of 4, {@code dim} of 32. Grid: {@code WorkerGrid.of(hidden / 4 * L, L)}.
     * Traffic: reads 2 * 34/32 * hidden * dim bytes of weights, writes 4 * hidden.
     */
    public static void gateUpSiluQ8_0FourNeurons(KernelContext ctx, IntArray gateQuants, HalfArray gateScales, IntArray upQuants,
                                                 HalfArray upScales, IntArray xQuants, FloatArray xScales, FloatArray out, int dim) {
        float[] scratch = ctx.allocateFloatLocalArray(8 * GroupLimits.MAX_LOCAL_SIZE);
        gateUpSiluFourNeurons(ctx, scratch, gateQuants, gateScales, upQuants, upScales, xQuants, xScales, 1f, out, 4 * ctx.groupIdx,
                dim);
    }

    /**
     * The sparse FFN's gate/up over the listed experts ({@link Experts#normedGateUpSiluActiveQ8_0SplitWordsFourNeurons})
     * over int8 blocks of the router's weighted input {@code x * normWeight}, which
     * {@link Router#logitsFourExpertsSplitK} quantized: quantization does
     * not depend on the vector's scale, so both dots are scaled by the norm's
     * {@code 1 / sqrt(mean(x^2) + eps)} at the end ({@link Router#sliceNormScale}). Groups past
     * the list return at once. Grid: {@code WorkerGrid.of(experts * expertSize / 4 * L, L)},
     * {@code expertSize} a multiple of 4. Traffic: reads 2 * 34/32 * expertSize * dim bytes of
     * weights per active expert, writes 4 * expertSize per active expert.
     */
    public static void normedGateUpSiluActiveQ8_0FourNeurons(KernelContext ctx, IntArray gateQuants, HalfArray gateScales,
                                                             IntArray upQuants, HalfArray upScales, IntArray xQuants, FloatArray xScales,
                                                             FloatArray partialLogits, int slices, int experts, float eps,
                                                             IntArray activeIds, IntArray activeCount, FloatArray hidden, int dim,
                                                             int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(8 * GroupLimits.MAX_LOCAL_SIZE);
        int n0 = Experts.listedFourNeurons(ctx, activeIds, activeCount, expertSize);
        if (n0 < 0) {
            return; // uniform per group: no item of it reaches a barrier
        }
        float scale = Router.sliceNormScale(partialLogits, slices, experts, dim, eps);
        gateUpSiluFourNeurons(ctx, scratch, gateQuants, gateScales, upQuants, upScales, xQuants, xScales, scale, hidden, n0, dim);
    }

    /** Neurons {@code n0 .. n0+3} of {@link #gateUpSiluQ8_0FourNeurons} into {@code hidden}, both dots times {@code scale}. */
    static void gateUpSiluFourNeurons(KernelContext ctx, float[] scratch, IntArray gateQuants, HalfArray gateScales, IntArray upQuants,
                                      HalfArray upScales, IntArray xQuants, FloatArray xScales, float scale, FloatArray hidden, int n0,
                                      int dim) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int words = dim / 4;
        long w0 = (long) n0 * words;
        long w1 = w0 + words;
        long w2 = w1 + words;
        long w3 = w2 + words;
        float g0 = 0f;
        float g1 = 0f;
        float g2 = 0f;
        float g3 = 0f;
        float u0 = 0f;
        float u1 = 0f;
        float u2 = 0f;
        float u3 = 0f;
        for (int p = lid; p < words / 2; p += size) { // a pair of words of one block per row and step, as fourRowPartials
            int j = 2 * p;
            int a0 = gateQuants.get(w0 + j);
            int a1 = gateQuants.get(w1 + j);
            int a2 = gateQuants.get(w2 + j);
            int a3 = gateQuants.get(w3 + j);
            int e0 = gateQuants.get(w0 + j + 1);
            int e1 = gateQuants.get(w1 + j + 1);
            int e2 = gateQuants.get(w2 + j + 1);
            int e3 = gateQuants.get(w3 + j + 1);
            int c0 = upQuants.get(w0 + j);
            int c1 = upQuants.get(w1 + j);
            int c2 = upQuants.get(w2 + j);
            int c3 = upQuants.get(w3 + j);
            int f0 = upQuants.get(w0 + j + 1);
            int f1 = upQuants.get(w1 + j + 1);
            int f2 = upQuants.get(w2 + j + 1);
            int f3 = upQuants.get(w3 + j + 1);
            int xj = xQuants.get(j);
            int xj1 = xQuants.get(j + 1);
            float dj = xScales.get(j / 8);
            g0 += pairDot(a0, e0, gateScales, w0, xj, xj1, dj, j);
            g1 += pairDot(a1, e1, gateScales, w1, xj, xj1, dj, j);
            g2 += pairDot(a2, e2, gateScales, w2, xj, xj1, dj, j);
            g3 += pairDot(a3, e3, gateScales, w3, xj, xj1, dj, j);
            u0 += pairDot(c0, f0, upScales, w0, xj, xj1, dj, j);
            u1 += pairDot(c1, f1, upScales, w1, xj, xj1, dj, j);
            u2 += pairDot(c2, f2, upScales, w2, xj, xj1, dj, j);
            u3 += pairDot(c3, f3, upScales, w3, xj, xj1, dj, j);
        }
        Experts.sumAndStoreFourNeurons(ctx, scratch, g0, g1, g2, g3, u0, u1, u2, u3, scale, hidden, n0);
    }

    /**
     * {@code out[r] = W[r] . x}, or {@code out[r] += W[r] . x} with {@code adding} (the output and
     * down projections adding into the residual stream), over the quantized input: four rows per
     * group, two pairs of words of each in flight.
     */
    public static void gemvQ8_0FourRows(KernelContext ctx, IntArray quants, HalfArray scales, IntArray xQuants, FloatArray xScales,
                                        FloatArray out, boolean adding, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int r0 = ctx.groupIdx * 4;
        fourRowPartials(ctx, scratch, quants, scales, xQuants, xScales, r0, rows, cols);
        MatVec.sumAndStoreFourRows(ctx, scratch, out, adding, r0, rows);
    }

    /**
     * Item lid's partial dots of rows {@code r0 .. r0+3} (clamped to the last row) with the
     * quantized input, into {@code scratch[k * L + lid]}. An item takes two neighbouring words
     * at a time, {@code 2p} and {@code 2p + 1} for pairs {@code p = lid, lid + L, ...}: they lie in
     * one block, so one weight scale, one input scale and one conversion serve two integer dots.
     * Two pairs of each row in flight (sixteen loads), spelled out: through a per-row helper
     * (b8a5d79) the PTX had nine loads ahead of the first dot instead of 23, and its one H200 run
     * (docs/perf/h200-calls/call29.sh) was 1.5-3.5% slower. {@link #downActiveQ8_0FourRows} loads
     * the same way over the list.
     */
    static void fourRowPartials(KernelContext ctx, float[] scratch, IntArray quants, HalfArray scales, IntArray xQuants,
                                FloatArray xScales, int r0, int rows, int cols) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int words = cols / 4;
        int pairs = words / 2;
        if (r0 < rows) {
            long b0 = (long) r0 * words;
            long b1 = (long) Math.min(r0 + 1, rows - 1) * words;
            long b2 = (long) Math.min(r0 + 2, rows - 1) * words;
            long b3 = (long) Math.min(r0 + 3, rows - 1) * words;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int p = lid;
            for (; p + size < pairs; p += 2 * size) {
                int j = 2 * p;
                int k = j + 2 * size;
                int q0 = quants.get(b0 + j);
                int q1 = quants.get(b1 + j);
                int q2 = quants.get(b2 + j);
                int q3 = quants.get(b3 + j);
                int r0j = quants.get(b0 + j + 1);
                int r1j = quants.get(b1 + j + 1);
                int r2j = quants.get(b2 + j + 1);
                int r3j = quants.get(b3 + j + 1);
                int u0 = quants.get(b0 + k);
                int u1 = quants.get(b1 + k);
                int u2 = quants.get(b2 + k);
                int u3 = quants.get(b3 + k);
                int v0 = quants.get(b0 + k + 1);
                int v1 = quants.get(b1 + k + 1);
                int v2 = quants.get(b2 + k + 1);
                int v3 = quants.get(b3 + k + 1);
                int xj = xQuants.get(j);
                int xj1 = xQuants.get(j + 1);
                int xk = xQuants.get(k);
                int xk1 = xQuants.get(k + 1);
                float dj = xScales.get(j / 8);
                float dk = xScales.get(k / 8);
                s0 += pairDot(q0, r0j, scales, b0, xj, xj1, dj, j) + pairDot(u0, v0, scales, b0, xk, xk1, dk, k);
                s1 += pairDot(q1, r1j, scales, b1, xj, xj1, dj, j) + pairDot(u1, v1, scales, b1, xk, xk1, dk, k);
                s2 += pairDot(q2, r2j, scales, b2, xj, xj1, dj, j) + pairDot(u2, v2, scales, b2, xk, xk1, dk, k);
                s3 += pairDot(q3, r3j, scales, b3, xj, xj1, dj, j) + pairDot(u3, v3, scales, b3, xk, xk1, dk, k);
            }
            for (; p < pairs; p += size) {
                int j = 2 * p;
                int xj = xQuants.get(j);
                int xj1 = xQuants.get(j + 1);
                float dj = xScales.get(j / 8);
                s0 += pairDot(quants.get(b0 + j), quants.get(b0 + j + 1), scales, b0, xj, xj1, dj, j);
                s1 += pairDot(quants.get(b1 + j), quants.get(b1 + j + 1), scales, b1, xj, xj1, dj, j);
                s2 += pairDot(quants.get(b2 + j), quants.get(b2 + j + 1), scales, b2, xj, xj1, dj, j);
                s3 += pairDot(quants.get(b3 + j), quants.get(b3 + j + 1), scales, b3, xj, xj1, dj, j);
            }
            scratch[lid] = s0;
            scratch[size + lid] = s1;
            scratch[2 * size + lid] = s2;
            scratch[3 * size + lid] = s3;
        }
    }

    /**
     * Words j and j + 1 (j even: one block) of the row whose words start at {@code rowWord},
     * times input words {@code x0} and {@code x1} (block scale {@code xScale}).
     */
    static float pairDot(int word0, int word1, HalfArray scales, long rowWord, int x0, int x1, float xScale, int j) {
        return scales.get((rowWord + j) / 8) * xScale * (PackedBytes.dot(word0, x0) + PackedBytes.dot(word1, x1));
    }

    /**
     * The sparse FFN's down over the listed experts ({@link Experts#downActiveQ8_0FourRows}) over
     * int8 blocks of the hidden vector ({@link #quantize}; an expert of 32 neurons is one block,
     * so the listed experts' blocks are those of their own neurons): four output rows per group,
     * each item two neighbouring words of one expert's block per step, written to {@code out} or
     * added into it. {@code expertSize} a multiple of 32. Grid: {@code (ceil(dim / 4) * L, L)}.
     * Traffic: reads 34/32 * dim * expertSize bytes of weights per active expert, writes 4 * dim.
     */
    public static void downActiveQ8_0FourRows(KernelContext ctx, IntArray quants, HalfArray scales, IntArray hiddenQuants,
                                              FloatArray hiddenScales, IntArray activeIds, IntArray activeCount, FloatArray out,
                                              boolean adding, int dim, int ffnDim, int expertSize) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int r0 = 4 * ctx.groupIdx;
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        if (r0 < dim) {
            int rowWords = ffnDim / 4;
            int expertPairs = expertSize / 8;
            int pairs = activeCount.get(0) * expertPairs;
            long b0 = (long) r0 * rowWords;
            long b1 = (long) Math.min(r0 + 1, dim - 1) * rowWords;
            long b2 = (long) Math.min(r0 + 2, dim - 1) * rowWords;
            long b3 = (long) Math.min(r0 + 3, dim - 1) * rowWords;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int p = lid;
            for (; p + size < pairs; p += 2 * size) {
                int j = 2 * Experts.listedIndex(activeIds, p, expertPairs);
                int k = 2 * Experts.listedIndex(activeIds, p + size, expertPairs);
                int q0 = quants.get(b0 + j);
                int q1 = quants.get(b1 + j);
                int q2 = quants.get(b2 + j);
                int q3 = quants.get(b3 + j);
                int r0j = quants.get(b0 + j + 1);
                int r1j = quants.get(b1 + j + 1);
                int r2j = quants.get(b2 + j + 1);
                int r3j = quants.get(b3 + j + 1);
                int u0 = quants.get(b0 + k);
                int u1 = quants.get(b1 + k);
                int u2 = quants.get(b2 + k);
                int u3 = quants.get(b3 + k);
                int v0 = quants.get(b0 + k + 1);
                int v1 = quants.get(b1 + k + 1);
                int v2 = quants.get(b2 + k + 1);
                int v3 = quants.get(b3 + k + 1);
                int xj = hiddenQuants.get(j);
                int xj1 = hiddenQuants.get(j + 1);
                int xk = hiddenQuants.get(k);
                int xk1 = hiddenQuants.get(k + 1);
                float dj = hiddenScales.get(j / 8);
                float dk = hiddenScales.get(k / 8);
                s0 += pairDot(q0, r0j, scales, b0, xj, xj1, dj, j) + pairDot(u0, v0, scales, b0, xk, xk1, dk, k);
                s1 += pairDot(q1, r1j, scales, b1, xj, xj1, dj, j) + pairDot(u1, v1, scales, b1, xk, xk1, dk, k);
                s2 += pairDot(q2, r2j, scales, b2, xj, xj1, dj, j) + pairDot(u2, v2, scales, b2, xk, xk1, dk, k);
                s3 += pairDot(q3, r3j, scales, b3, xj, xj1, dj, j) + pairDot(u3, v3, scales, b3, xk, xk1, dk, k);
            }
            for (; p < pairs; p += size) {
                int j = 2 * Experts.listedIndex(activeIds, p, expertPairs);
                int xj = hiddenQuants.get(j);
                int xj1 = hiddenQuants.get(j + 1);
                float dj = hiddenScales.get(j / 8);
                s0 += pairDot(quants.get(b0 + j), quants.get(b0 + j + 1), scales, b0, xj, xj1, dj, j);
                s1 += pairDot(quants.get(b1 + j), quants.get(b1 + j + 1), scales, b1, xj, xj1, dj, j);
                s2 += pairDot(quants.get(b2 + j), quants.get(b2 + j + 1), scales, b2, xj, xj1, dj, j);
                s3 += pairDot(quants.get(b3 + j), quants.get(b3 + j + 1), scales, b3, xj, xj1, dj, j);
            }
            scratch[lid] = s0;
            scratch[size + lid] = s1;
            scratch[2 * size + lid] = s2;
            scratch[3 * size + lid] = s3;
        }
        MatVec.sumAndStoreFourRows(ctx, scratch, out, adding, r0, dim);
    }
}
