package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/**
 * The fp16 and Q8_0 GEMVs of a decoder layer with the small steps around them fused in, so that
 * a layer is five launches instead of fifteen. On an H200 each small kernel (RMSNorm, RoPE, the K/V
 * store, SiLU, a residual add) costs 4-10 us of a 160 us layer whatever its size, while the
 * work it does is free inside a GEMV that already has every input in cache:
 * <ul>
 *   <li><b>RMSNorm into the GEMV's input.</b> A four-row work-group loads every x[c] exactly once
 *       anyway, so it also sums x[c]^2, and since the norm's scale is one number per vector,
 *       {@code W (x * s * g) = s * W (x * g)}: each group reduces its four dots and the sum of
 *       squares together and scales at the end. No normed copy of x is written.</li>
 *   <li><b>RoPE and the K/V store into the q/k/v GEMV.</b> Rows {@code 4i .. 4i+3} of q or k are
 *       two interleaved RoPE pairs of one head, so the group that computed them rotates them;
 *       k and v rows go straight into the cache at the token's position.</li>
 *   <li><b>SiLU into gate/up.</b> A group computes two gate rows and the same two up rows.</li>
 *   <li><b>The residual add</b> is {@link MatVec#gemvF16PairsFourRowsAddingInto} (Q8_0:
 *       {@link MatVec#gemvQ8_0SplitWordsFourRowsAddingInto}).</li>
 * </ul>
 * fp16 weights are packed two per 32-bit word (low half first) as {@link MatVec#gemvF16PairsFourRows}
 * reads them, with its load pattern (eight words in flight per item); Q8_0 weights are split into
 * quant words and scales as {@link MatVec#gemvQ8_0SplitWordsFourRows} reads them, with its load
 * pattern (sixteen words in flight). Results equal the unfused
 * kernels up to float rounding: the norm's scale multiplies the dot instead of each x.
 * Grids are 1-D with L a power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
 */
public final class FusedMatVec {
    /** Sums per item: four rows and the sum of squares of x. */
    private static final int SUMS = 5;

    private FusedMatVec() {
    }

    /**
     * The attention block's input side for one token:
     * <pre>
     *   xn = RMSNorm(x) * normWeight
     *   q = RoPE(Wq xn + bq),  keyCache[pos] = RoPE(Wk xn + bk),  valueCache[pos] = Wv xn + bv
     * </pre>
     * RoPE rotates the interleaved pairs {@code (2i, 2i+1)} of each head by
     * {@code pos * inverseFrequencies[i]}, as {@link Rope#rotateQueryAndKeyByFrequencies} does.
     * The cache rows are {@code kvDim} floats per position; {@code pos = position[0]}. Models
     * without biases pass zero vectors. {@code headDim} must be a multiple of 4.
     * Grid: {@code ((qDim + 2 * kvDim) / 4 * L, L)}: groups {@code [0, qDim/4)} compute q, then k, then v.
     * Traffic: reads 2 * (qDim + 2 kvDim) * dim bytes of weights, writes 4 * (qDim + 2 kvDim).
     */
    public static void normedQkvRopeIntoCacheF16(KernelContext ctx, FloatArray x, FloatArray normWeight,
                                                 IntArray wq, IntArray wk, IntArray wv, FloatArray bq, FloatArray bk, FloatArray bv,
                                                 IntArray position, FloatArray inverseFrequencies,
                                                 FloatArray q, FloatArray keyCache, FloatArray valueCache,
                                                 int dim, int qDim, int kvDim, int headDim, float eps) {
        float[] scratch = ctx.allocateFloatLocalArray(SUMS * GroupLimits.MAX_LOCAL_SIZE);
        int words = dim / 2;
        int part = qkvPart(ctx.groupIdx, qDim, kvDim);
        int r0 = qkvFirstRow(ctx.groupIdx, part, qDim, kvDim);
        // One call site with the matrix chosen here: with a call in each of three branches,
        // PoCL 3.1 returned wrong sums (the barriers after them are reached from three paths).
        IntArray w = part == 0 ? wq : part == 1 ? wk : wv;
        normedPartials(ctx, scratch, w, (long) r0 * words, (long) (r0 + 1) * words,
                w, (long) (r0 + 2) * words, (long) (r0 + 3) * words, x, normWeight, words);
        GroupReduce.sumRowsInPlace(ctx, scratch, SUMS, true);
        qkvEpilogue(ctx, scratch, normScale(scratch, ctx.localGroupSizeX, dim, eps), part, r0, bq, bk, bv, position,
                inverseFrequencies, q, keyCache, valueCache, kvDim, headDim);
    }

    /**
     * {@link #normedQkvRopeIntoCacheF16}'s q/k/v side in Q8_0: the same sums and epilogue over
     * split Q8_0 rows ({@link MatVec#gemvQ8_0SplitWordsFourRows}'s layout and loads: four words of
     * each row in flight). Same grid and requirements; {@code dim} a multiple of 32.
     * Traffic: reads 34/32 * (qDim + 2 kvDim) * dim bytes of weights, writes 4 * (qDim + 2 kvDim).
     */
    public static void normedQkvRopeIntoCacheQ8_0(KernelContext ctx, FloatArray x, FloatArray normWeight,
                                                  IntArray wqQuants, HalfArray wqScales, IntArray wkQuants, HalfArray wkScales,
                                                  IntArray wvQuants, HalfArray wvScales, FloatArray bq, FloatArray bk, FloatArray bv,
                                                  IntArray position, FloatArray inverseFrequencies,
                                                  FloatArray q, FloatArray keyCache, FloatArray valueCache,
                                                  int dim, int qDim, int kvDim, int headDim, float eps) {
        float[] scratch = ctx.allocateFloatLocalArray(SUMS * GroupLimits.MAX_LOCAL_SIZE);
        int words = dim / 4;
        int part = qkvPart(ctx.groupIdx, qDim, kvDim);
        int r0 = qkvFirstRow(ctx.groupIdx, part, qDim, kvDim);
        IntArray quants = part == 0 ? wqQuants : part == 1 ? wkQuants : wvQuants; // one call site, as in the fp16 kernel
        HalfArray scales = part == 0 ? wqScales : part == 1 ? wkScales : wvScales;
        normedPartialsQ8_0(ctx, scratch, quants, scales, (long) r0 * words, (long) (r0 + 1) * words,
                quants, scales, (long) (r0 + 2) * words, (long) (r0 + 3) * words, x, normWeight, words);
        GroupReduce.sumRowsInPlace(ctx, scratch, SUMS, true);
        qkvEpilogue(ctx, scratch, normScale(scratch, ctx.localGroupSizeX, dim, eps), part, r0, bq, bk, bv, position,
                inverseFrequencies, q, keyCache, valueCache, kvDim, headDim);
    }

    /** The matrix that group g of a q/k/v kernel works on: 0 for q (the first qDim / 4 groups), 1 for k, 2 for v. */
    static int qkvPart(int group, int qDim, int kvDim) {
        return group < qDim / 4 ? 0 : group < qDim / 4 + kvDim / 4 ? 1 : 2;
    }

    /** The first of the four rows of its {@link #qkvPart} that group g computes. */
    static int qkvFirstRow(int group, int part, int qDim, int kvDim) {
        return 4 * (part == 0 ? group : part == 1 ? group - qDim / 4 : group - qDim / 4 - kvDim / 4);
    }

    /** The RMSNorm scale from the sum of squares reduced into {@code scratch[4 L]}. */
    private static float normScale(float[] scratch, int size, int dim, float eps) {
        return 1f / (float) Math.sqrt(scratch[4 * size] / dim + eps);
    }

    /**
     * After the sums of rows {@code r0 .. r0+3} of q ({@code part} 0), k (1) or v (2) are
     * reduced into {@code scratch[k L]}: scale them (by the norm, or 1), add the bias, rotate q
     * and k by RoPE, and store q or the token's cache rows.
     */
    static void qkvEpilogue(KernelContext ctx, float[] scratch, float scale, int part, int r0, FloatArray bq, FloatArray bk,
                            FloatArray bv, IntArray position, FloatArray inverseFrequencies, FloatArray q,
                            FloatArray keyCache, FloatArray valueCache, int kvDim, int headDim) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        if (lid < 4) {
            int r = r0 + lid;
            int partner = r0 + (lid ^ 1);
            float mine = scratch[lid * size] * scale;
            float other = scratch[(lid ^ 1) * size] * scale;
            int pos = position.get(0);
            long cacheRow = (long) pos * kvDim;
            if (part == 2) {
                valueCache.set(cacheRow + r, mine + bv.get(r));
            } else {
                if (part == 0) {
                    mine += bq.get(r);
                    other += bq.get(partner);
                } else {
                    mine += bk.get(r);
                    other += bk.get(partner);
                }
                float angle = pos * inverseFrequencies.get((r % headDim) / 2);
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                // (a, b) -> (a cos - b sin, a sin + b cos), a the even row of the pair
                float rotated = (lid & 1) == 0 ? mine * c - other * s : other * s + mine * c;
                if (part == 0) {
                    q.set(r, rotated);
                } else {
                    keyCache.set(cacheRow + r, rotated);
                }
            }
        }
    }

    /**
     * The FFN's first half for one token: {@code out = silu(Wgate xn) * (Wup xn)} with
     * {@code xn = RMSNorm(x) * normWeight}. Group g computes neurons {@code 2g} and {@code 2g+1}
     * (two gate rows and the same two up rows, so each x load serves four rows).
     * Grid: {@code (ceil(hidden / 2) * L, L)}.
     * Traffic: reads 4 * hidden * dim bytes of weights, writes 4 * hidden.
     */
    public static void normedGateUpSiluF16(KernelContext ctx, FloatArray x, FloatArray normWeight,
                                           IntArray wGate, IntArray wUp, FloatArray out, int dim, int hidden, float eps) {
        float[] scratch = ctx.allocateFloatLocalArray(SUMS * GroupLimits.MAX_LOCAL_SIZE);
        int words = dim / 2;
        int h0 = 2 * ctx.groupIdx;
        long first = (long) h0 * words;
        long second = (long) Math.min(h0 + 1, hidden - 1) * words;
        normedPartials(ctx, scratch, wGate, first, second, wUp, first, second, x, normWeight, words);
        GroupReduce.sumRowsInPlace(ctx, scratch, SUMS, true);
        siluGateTimesUpOfSums(ctx, scratch, out, h0, dim, hidden, eps);
    }

    /** After the sums of gate rows h0, h0+1 and up rows h0, h0+1 are reduced: {@code out[h] = silu(gate) * up}, both scaled by the norm. */
    private static void siluGateTimesUpOfSums(KernelContext ctx, float[] scratch, FloatArray out, int h0, int dim, int hidden, float eps) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        if (lid < 2 && h0 + lid < hidden) {
            float scale = 1f / (float) Math.sqrt(scratch[4 * size] / dim + eps);
            float gate = scratch[lid * size] * scale;
            float up = scratch[(2 + lid) * size] * scale;
            out.set(h0 + lid, Activations.silu(gate) * up);
        }
    }

    /**
     * {@link #normedGateUpSiluF16} on split Q8_0 rows (four words of each row in flight). Same
     * grid; {@code dim} a multiple of 32.
     * Traffic: reads 2 * 34/32 * hidden * dim bytes of weights, writes 4 * hidden.
     */
    public static void normedGateUpSiluQ8_0(KernelContext ctx, FloatArray x, FloatArray normWeight, IntArray gateQuants,
                                            HalfArray gateScales, IntArray upQuants, HalfArray upScales, FloatArray out,
                                            int dim, int hidden, float eps) {
        float[] scratch = ctx.allocateFloatLocalArray(SUMS * GroupLimits.MAX_LOCAL_SIZE);
        int words = dim / 4;
        int h0 = 2 * ctx.groupIdx;
        long first = (long) h0 * words;
        long second = (long) Math.min(h0 + 1, hidden - 1) * words;
        normedPartialsQ8_0(ctx, scratch, gateQuants, gateScales, first, second, upQuants, upScales, first, second, x, normWeight, words);
        GroupReduce.sumRowsInPlace(ctx, scratch, SUMS, true);
        siluGateTimesUpOfSums(ctx, scratch, out, h0, dim, hidden, eps);
    }

    /**
     * {@code out[n] = silu(gate_n . x) * (up_n . x)} on split Q8_0 rows over an input normed
     * already: four neurons per work-group, each item one word of each of the eight rows per
     * step, every x load serving eight rows ({@link Experts#gateUpSiluActiveQ8_0SplitWordsFourNeurons}'s
     * body, over every neuron). Q8_0 GEMVs are bound by their arithmetic on the H200, and this
     * form, with no norm weight or sum of squares per word, ran the sparse gate/up at 1.85 TB/s
     * where {@link #normedGateUpSiluQ8_0} runs at 1.33 (docs/PERF.md). Requires {@code hidden} a
     * multiple of 4 and {@code dim} of 32. Grid: {@code WorkerGrid.of(hidden / 4 * L, L)}, L a
     * power of two at most {@link GroupLimits#MAX_LOCAL_SIZE}.
     * Traffic: reads 2 * 34/32 * hidden * dim bytes of weights, writes 4 * hidden.
     */
    public static void gateUpSiluQ8_0SplitWordsFourNeurons(KernelContext ctx, IntArray gateQuants, HalfArray gateScales,
                                                           IntArray upQuants, HalfArray upScales, FloatArray x, FloatArray out,
                                                           int dim) {
        float[] scratch = ctx.allocateFloatLocalArray(8 * GroupLimits.MAX_LOCAL_SIZE);
        Experts.gateUpSiluQ8_0FourNeurons(ctx, scratch, gateQuants, gateScales, upQuants, upScales, x, 1f, out, 4 * ctx.groupIdx, dim);
    }

    /**
     * Item {@code lid}'s partial dots of four rows with {@code x * g} (rows 0 and 1 of {@code a}
     * at word offsets a0, a1; rows 2 and 3 of {@code b} at b0, b1) and its partial sum of x^2,
     * into {@code scratch[k * L + lid]} for k = 0..4. The loads follow
     * {@link MatVec#gemvF16PairsFourRows}: two words per row per iteration, eight in flight.
     */
    static void normedPartials(KernelContext ctx, float[] scratch, IntArray a, long a0, long a1, IntArray b, long b0, long b1,
                               FloatArray x, FloatArray g, int words) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float squares = 0f;
        int j = lid;
        for (; j + size < words; j += 2 * size) {
            int k = j + size;
            int p0 = a.get(a0 + j);
            int p1 = a.get(a1 + j);
            int p2 = b.get(b0 + j);
            int p3 = b.get(b1 + j);
            int n0 = a.get(a0 + k);
            int n1 = a.get(a1 + k);
            int n2 = b.get(b0 + k);
            int n3 = b.get(b1 + k);
            float x0 = x.get(2 * j);
            float x1 = x.get(2 * j + 1);
            float x2 = x.get(2 * k);
            float x3 = x.get(2 * k + 1);
            squares += (x0 * x0 + x1 * x1) + (x2 * x2 + x3 * x3);
            float y0 = x0 * g.get(2 * j);
            float y1 = x1 * g.get(2 * j + 1);
            float y2 = x2 * g.get(2 * k);
            float y3 = x3 * g.get(2 * k + 1);
            s0 += MatVec.halfPair(p0, y0, y1) + MatVec.halfPair(n0, y2, y3);
            s1 += MatVec.halfPair(p1, y0, y1) + MatVec.halfPair(n1, y2, y3);
            s2 += MatVec.halfPair(p2, y0, y1) + MatVec.halfPair(n2, y2, y3);
            s3 += MatVec.halfPair(p3, y0, y1) + MatVec.halfPair(n3, y2, y3);
        }
        for (; j < words; j += size) {
            float x0 = x.get(2 * j);
            float x1 = x.get(2 * j + 1);
            squares += x0 * x0 + x1 * x1;
            float y0 = x0 * g.get(2 * j);
            float y1 = x1 * g.get(2 * j + 1);
            s0 += MatVec.halfPair(a.get(a0 + j), y0, y1);
            s1 += MatVec.halfPair(a.get(a1 + j), y0, y1);
            s2 += MatVec.halfPair(b.get(b0 + j), y0, y1);
            s3 += MatVec.halfPair(b.get(b1 + j), y0, y1);
        }
        scratch[lid] = s0;
        scratch[size + lid] = s1;
        scratch[2 * size + lid] = s2;
        scratch[3 * size + lid] = s3;
        scratch[4 * size + lid] = squares;
    }

    /**
     * {@link #normedPartials} over split Q8_0 rows ({@code a0, a1, b0, b1} are the rows' first
     * word indices; {@code words = dim / 4}): four words of each row per iteration, sixteen quant
     * loads in flight, as {@link MatVec#gemvQ8_0SplitWordsFourRows}.
     */
    static void normedPartialsQ8_0(KernelContext ctx, float[] scratch, IntArray aQuants, HalfArray aScales, long a0, long a1,
                                   IntArray bQuants, HalfArray bScales, long b0, long b1, FloatArray x, FloatArray g, int words) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float squares = 0f;
        int j = lid;
        for (; j + 3 * size < words; j += 4 * size) {
            int k = j + size;
            int m = k + size;
            int n = m + size;
            int p0 = aQuants.get(a0 + j);
            int p1 = aQuants.get(a1 + j);
            int p2 = bQuants.get(b0 + j);
            int p3 = bQuants.get(b1 + j);
            int q0 = aQuants.get(a0 + k);
            int q1 = aQuants.get(a1 + k);
            int q2 = bQuants.get(b0 + k);
            int q3 = bQuants.get(b1 + k);
            int u0 = aQuants.get(a0 + m);
            int u1 = aQuants.get(a1 + m);
            int u2 = bQuants.get(b0 + m);
            int u3 = bQuants.get(b1 + m);
            int v0 = aQuants.get(a0 + n);
            int v1 = aQuants.get(a1 + n);
            int v2 = bQuants.get(b0 + n);
            int v3 = bQuants.get(b1 + n);
            squares += (squaresOfWord(x, j) + squaresOfWord(x, k)) + (squaresOfWord(x, m) + squaresOfWord(x, n));
            s0 += (weightedWordDot(p0, aScales, a0, x, g, j) + weightedWordDot(q0, aScales, a0, x, g, k))
                    + (weightedWordDot(u0, aScales, a0, x, g, m) + weightedWordDot(v0, aScales, a0, x, g, n));
            s1 += (weightedWordDot(p1, aScales, a1, x, g, j) + weightedWordDot(q1, aScales, a1, x, g, k))
                    + (weightedWordDot(u1, aScales, a1, x, g, m) + weightedWordDot(v1, aScales, a1, x, g, n));
            s2 += (weightedWordDot(p2, bScales, b0, x, g, j) + weightedWordDot(q2, bScales, b0, x, g, k))
                    + (weightedWordDot(u2, bScales, b0, x, g, m) + weightedWordDot(v2, bScales, b0, x, g, n));
            s3 += (weightedWordDot(p3, bScales, b1, x, g, j) + weightedWordDot(q3, bScales, b1, x, g, k))
                    + (weightedWordDot(u3, bScales, b1, x, g, m) + weightedWordDot(v3, bScales, b1, x, g, n));
        }
        for (; j < words; j += size) {
            squares += squaresOfWord(x, j);
            s0 += weightedWordDot(aQuants.get(a0 + j), aScales, a0, x, g, j);
            s1 += weightedWordDot(aQuants.get(a1 + j), aScales, a1, x, g, j);
            s2 += weightedWordDot(bQuants.get(b0 + j), bScales, b0, x, g, j);
            s3 += weightedWordDot(bQuants.get(b1 + j), bScales, b1, x, g, j);
        }
        scratch[lid] = s0;
        scratch[size + lid] = s1;
        scratch[2 * size + lid] = s2;
        scratch[3 * size + lid] = s3;
        scratch[4 * size + lid] = squares;
    }

    /** {@code x[4j]^2 + .. + x[4j+3]^2}. */
    private static float squaresOfWord(FloatArray x, int j) {
        float x0 = x.get(4 * j);
        float x1 = x.get(4 * j + 1);
        float x2 = x.get(4 * j + 2);
        float x3 = x.get(4 * j + 3);
        return (x0 * x0 + x1 * x1) + (x2 * x2 + x3 * x3);
    }

    /** Word j of a split Q8_0 row starting at word {@code rowWord}: its block scale times its quants dotted with {@code x * g} at 4j..4j+3. */
    private static float weightedWordDot(int word, HalfArray scales, long rowWord, FloatArray x, FloatArray g, int j) {
        int c = 4 * j;
        return scales.get((rowWord + j) / 8) * MatVec.quadDot(word, x.get(c) * g.get(c), x.get(c + 1) * g.get(c + 1),
                x.get(c + 2) * g.get(c + 2), x.get(c + 3) * g.get(c + 3));
    }

    /**
     * {@code out[r] = silu(gate_r . x) * (up_r . x)} with an item per row and no barriers: the
     * gate GEMV, the up GEMV and the SwiGLU of a CPU OpenCL layer in one launch instead of three
     * (starting a kernel costs about 10 us on PoCL). Each row's dots are the item-per-row GEMVs'
     * ({@link MatVec#rowDotF32}), so the result is theirs followed by {@link VectorOps#siluGateTimesUp},
     * bit for bit. Grid: any 1-D (the loop covers {@code rows}).
     * Traffic: reads 8 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gateUpSiluF32RowPerItem(FloatArray gate, FloatArray up, FloatArray x, FloatArray out, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            out.set(r, Activations.silu(MatVec.rowDotF32(gate, base, x, 0, cols)) * MatVec.rowDotF32(up, base, x, 0, cols));
        }
    }

    /** {@link #gateUpSiluF32RowPerItem} for packed fp16 pairs ({@link MatVec#rowDotF16Pairs}). */
    public static void gateUpSiluF16PairsRowPerItem(IntArray gate, IntArray up, FloatArray x, FloatArray out, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            long base = (long) r * (cols / 2);
            out.set(r, Activations.silu(MatVec.rowDotF16Pairs(gate, base, x, 0, cols)) * MatVec.rowDotF16Pairs(up, base, x, 0, cols));
        }
    }
}
