package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.Parallel;

/**
 * Matrix-vector products {@code y = W x} with {@code W} row-major ({@code rows x cols}), one
 * work-group per row: the group's work-items stride over the columns (neighbouring items read
 * neighbouring weights, so loads coalesce), then add their partial sums as a tree in local
 * memory. A grid with fewer groups than rows loops (group g does rows g, g + groups, ...).
 * The variants differ only in how a weight is stored.
 *
 * <p>Grid for all: 1-D, {@code WorkerGrid.of(rows * L, L)} with L a power of two at most
 * {@link GroupLimits#MAX_LOCAL_SIZE} (fewer groups also work). Weight offsets are computed in
 * 64 bits, so a matrix may exceed 2^31 elements.
 */
public final class MatVec {
    /** GGML Q8_0: blocks of 32 weights, an fp16 scale then 32 int8 quants. */
    public static final int Q8_0_BLOCK = 32;
    public static final int Q8_0_BLOCK_BYTES = 34;

    private MatVec() {
    }

    /**
     * {@code y[r] = sum_c w[r * cols + c] * x[c]} with fp32 weights.
     * Traffic: reads 4 * rows * cols bytes of weights plus x once per row (from cache), writes 4 * rows.
     */
    public static void gemvF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * cols;
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                sum += w.get(base + c) * x.get(c);
            }
            float total = GroupReduce.sum(ctx, scratch, sum);
            if (lid == 0) {
                y.set(row, total);
            }
            ctx.localBarrier(); // scratch[0] is read before the next row overwrites scratch
        }
    }

    /**
     * {@code y[r] = sum_c w[r * cols + c] * x[c]} with fp16 weights (fp32 activations and sums).
     * Traffic: reads 2 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gemvF16(KernelContext ctx, HalfArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * cols;
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                sum += w.get(base + c) * x.get(c);
            }
            float total = GroupReduce.sum(ctx, scratch, sum);
            if (lid == 0) {
                y.set(row, total);
            }
            ctx.localBarrier();
        }
    }

    /**
     * The fp16 GEMV of {@link #gemvF16}, reading the weights as 32-bit words that each hold two
     * fp16 values (element 2j in the low half, 2j+1 in the high half: the little-endian layout of
     * a {@code HalfArray}, viewed with {@code IntArray.wrap(halves.segment())}). Each work-item
     * issues four independent word loads per iteration, so twice the bytes per load and four
     * loads in flight: what a GPU needs to approach its copy bandwidth. {@code cols} must be even.
     * Grid: {@code (rows * L, L)}. Traffic: reads 2 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gemvF16Pairs(KernelContext ctx, IntArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int words = cols / 2;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * words;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int j = lid;
            for (; j + 3 * size < words; j += 4 * size) {
                int a = w.get(base + j);
                int b = w.get(base + j + size);
                int c = w.get(base + j + 2 * size);
                int d = w.get(base + j + 3 * size);
                s0 += dotHalfPair(a, x, 2 * j);
                s1 += dotHalfPair(b, x, 2 * (j + size));
                s2 += dotHalfPair(c, x, 2 * (j + 2 * size));
                s3 += dotHalfPair(d, x, 2 * (j + 3 * size));
            }
            for (; j < words; j += size) {
                s0 += dotHalfPair(w.get(base + j), x, 2 * j);
            }
            float total = GroupReduce.sum(ctx, scratch, (s0 + s1) + (s2 + s3));
            if (lid == 0) {
                y.set(row, total);
            }
            ctx.localBarrier();
        }
    }

    /** w0 * x[c] + w1 * x[c + 1] for the two fp16 values packed in {@code word} (w0 in the low half). */
    public static float dotHalfPair(int word, FloatArray x, int c) {
        return halfPair(word, x.get(c), x.get(c + 1));
    }

    /**
     * The packed-pair fp16 GEMV of {@link #gemvF16Pairs} with four rows per work-group, so each
     * x pair loaded serves four rows: 1.5 loads per weight word instead of 3 (a word needs two x
     * floats), and two words per row per iteration keep eight weight loads in flight. The
     * fastest fp16 GEMV on the H200 (0.84 of a device copy at L=256; see docs/PERF.md).
     * Grid: {@code (ceil(rows / 4) * L, L)}, exactly one group per four rows.
     * Traffic: reads 2 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gemvF16PairsFourRows(KernelContext ctx, IntArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int r0 = ctx.groupIdx * 4;
        fourRowPartialsF16(ctx, scratch, w, x, r0, rows, cols);
        sumAndStoreFourRows(ctx, scratch, y, false, r0, rows);
    }

    /**
     * {@code acc[r] += sum_c W[r][c] x[c]}: {@link #gemvF16PairsFourRows} with the residual add
     * that follows a layer's output projection folded in (a decoder's attention output and FFN
     * down projection), saving the add's launch. Same grid and traffic, plus 4 * rows bytes read.
     */
    public static void gemvF16PairsFourRowsAddingInto(KernelContext ctx, IntArray w, FloatArray x, FloatArray acc, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int r0 = ctx.groupIdx * 4;
        fourRowPartialsF16(ctx, scratch, w, x, r0, rows, cols);
        sumAndStoreFourRows(ctx, scratch, acc, true, r0, rows);
    }

    /**
     * Item lid's partial dots of rows {@code r0 .. r0+3} (clamped to the last row) with x, into
     * {@code scratch[k * L + lid]}; nothing when {@code r0 >= rows}.
     */
    static void fourRowPartialsF16(KernelContext ctx, float[] scratch, IntArray w, FloatArray x, int r0, int rows, int cols) {
        if (r0 < rows) {
            int words = cols / 2;
            twoPlusTwoRowPartialsF16(ctx, scratch, w, (long) r0 * words, (long) Math.min(r0 + 1, rows - 1) * words,
                    w, (long) Math.min(r0 + 2, rows - 1) * words, (long) Math.min(r0 + 3, rows - 1) * words, x, words);
        }
    }

    /**
     * Item lid's partial dots with x of four packed fp16 rows, two of {@code a} and two of
     * {@code b} at word offsets {@code a0, a1, b0, b1} (one matrix twice, or gate and up rows),
     * into {@code scratch[k * L + lid]}. Two words per row per iteration keep eight weight loads
     * in flight; each x pair loaded serves four rows.
     */
    static void twoPlusTwoRowPartialsF16(KernelContext ctx, float[] scratch, IntArray a, long a0, long a1, IntArray b, long b0,
                                         long b1, FloatArray x, int words) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
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
            s0 += halfPair(p0, x0, x1) + halfPair(n0, x2, x3);
            s1 += halfPair(p1, x0, x1) + halfPair(n1, x2, x3);
            s2 += halfPair(p2, x0, x1) + halfPair(n2, x2, x3);
            s3 += halfPair(p3, x0, x1) + halfPair(n3, x2, x3);
        }
        for (; j < words; j += size) {
            float x0 = x.get(2 * j);
            float x1 = x.get(2 * j + 1);
            s0 += halfPair(a.get(a0 + j), x0, x1);
            s1 += halfPair(a.get(a1 + j), x0, x1);
            s2 += halfPair(b.get(b0 + j), x0, x1);
            s3 += halfPair(b.get(b1 + j), x0, x1);
        }
        scratch[lid] = s0;
        scratch[size + lid] = s1;
        scratch[2 * size + lid] = s2;
        scratch[3 * size + lid] = s3;
    }

    /**
     * {@code y = W x} with fp32 weights, one work-item per row and no barriers or local memory:
     * for CPU OpenCL (PoCL), where every barrier of the work-group kernels splits the group's
     * work-item loop and a tree reduction costs more than the row's dot product. Eight
     * accumulators over consecutive columns let the C compiler pack them into one SIMD register.
     * Grid: any 1-D (the loop covers {@code rows}). Traffic: reads 4 * rows * cols bytes of
     * weights, x once per row (from cache), writes 4 * rows.
     */
    public static void gemvF32RowPerItem(FloatArray w, FloatArray x, FloatArray y, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            y.set(r, rowDotF32(w, (long) r * cols, x, 0, cols));
        }
    }

    /**
     * {@code acc[r] += W[r] . x}: {@link #gemvF32RowPerItem} with the residual add that follows an
     * output or down projection folded in, so CPU OpenCL, where starting a kernel costs about 10 us
     * on PoCL, runs one launch instead of two. Same grid and traffic, plus 4 * rows bytes read.
     */
    public static void gemvF32RowPerItemAddingInto(FloatArray w, FloatArray x, FloatArray acc, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            acc.set(r, acc.get(r) + rowDotF32(w, (long) r * cols, x, 0, cols));
        }
    }

    /** {@link #gemvF32RowPerItemAddingInto} for packed fp16 pairs ({@link #rowDotF16Pairs}). */
    public static void gemvF16PairsRowPerItemAddingInto(IntArray w, FloatArray x, FloatArray acc, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            acc.set(r, acc.get(r) + rowDotF16Pairs(w, (long) r * (cols / 2), x, 0, cols));
        }
    }

    /** {@link #gemvF32RowPerItemAddingInto} for GGML's interleaved Q8_0 blocks ({@link #rowDotQ8_0}). */
    public static void gemvQ8_0RowPerItemAddingInto(ByteArray w, FloatArray x, FloatArray acc, int rows, int cols) {
        long rowBytes = (long) (cols / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
        for (@Parallel int r = 0; r < rows; r++) {
            acc.set(r, acc.get(r) + rowDotQ8_0(w, r * rowBytes, x, 0, cols));
        }
    }

    /**
     * The dot of the fp32 row at {@code w[base ..]} with {@code x[xOffset ..]}, {@code cols} long,
     * in eight accumulators over consecutive columns: the body of {@link #gemvF32RowPerItem} and of
     * the CPU batch products ({@link BatchMatMul#matMulF32RowPerItem}).
     */
    static float rowDotF32(FloatArray w, long base, FloatArray x, long xOffset, int cols) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        int c = 0;
        for (; c + 7 < cols; c += 8) {
            s0 += w.get(base + c) * x.get(xOffset + c);
            s1 += w.get(base + c + 1) * x.get(xOffset + c + 1);
            s2 += w.get(base + c + 2) * x.get(xOffset + c + 2);
            s3 += w.get(base + c + 3) * x.get(xOffset + c + 3);
            s4 += w.get(base + c + 4) * x.get(xOffset + c + 4);
            s5 += w.get(base + c + 5) * x.get(xOffset + c + 5);
            s6 += w.get(base + c + 6) * x.get(xOffset + c + 6);
            s7 += w.get(base + c + 7) * x.get(xOffset + c + 7);
        }
        for (; c < cols; c++) {
            s0 += w.get(base + c) * x.get(xOffset + c);
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * {@link #gemvF32RowPerItem} for fp16 weights packed two per 32-bit word (as
     * {@link #gemvF16PairsFourRows} reads them): eight accumulators over eight consecutive
     * words. Grid: any 1-D. Traffic: reads 2 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gemvF16PairsRowPerItem(IntArray w, FloatArray x, FloatArray y, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            y.set(r, rowDotF16Pairs(w, (long) r * (cols / 2), x, 0, cols));
        }
    }

    /** {@link #rowDotF32} for a row of packed fp16 pairs at word {@code base}: four accumulators over consecutive words. */
    static float rowDotF16Pairs(IntArray w, long base, FloatArray x, long xOffset, int cols) {
        int words = cols / 2;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int j = 0;
        for (; j + 3 < words; j += 4) {
            long c = xOffset + 2L * j;
            s0 += halfPair(w.get(base + j), x.get(c), x.get(c + 1));
            s1 += halfPair(w.get(base + j + 1), x.get(c + 2), x.get(c + 3));
            s2 += halfPair(w.get(base + j + 2), x.get(c + 4), x.get(c + 5));
            s3 += halfPair(w.get(base + j + 3), x.get(c + 6), x.get(c + 7));
        }
        for (; j < words; j++) {
            s0 += halfPair(w.get(base + j), x.get(xOffset + 2L * j), x.get(xOffset + 2L * j + 1));
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * {@link #gemvF32RowPerItem} for GGML's interleaved Q8_0 blocks (as {@link #gemvQ8_0} reads
     * them): quants load as bytes, eight consecutive ones per step, into eight lane sums of
     * {@code q * x} per block, which the block's scale then multiplies into eight accumulators
     * (GGML's {@code d * sum(q * x)}, its sum split over eight lanes), so the C compiler can run the
     * lanes as one SIMD register. One multiply per weight instead of two ({@code d * q * x}): on
     * PoCL the llama-110m Q8_0 GEMVs took 6.7-7.4 instead of 9.5-9.9 ms per token (docs/PERF.md).
     * Grid: any 1-D. Traffic: reads 34/32 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gemvQ8_0RowPerItem(ByteArray w, FloatArray x, FloatArray y, int rows, int cols) {
        long rowBytes = (long) (cols / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
        for (@Parallel int r = 0; r < rows; r++) {
            y.set(r, rowDotQ8_0(w, r * rowBytes, x, 0, cols));
        }
    }

    /** {@link #rowDotF32} for a row of GGML Q8_0 blocks starting at byte {@code rowStart}. */
    static float rowDotQ8_0(ByteArray w, long rowStart, FloatArray x, long xOffset, int cols) {
        int blocks = cols / Q8_0_BLOCK;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        for (int b = 0; b < blocks; b++) {
            long at = rowStart + (long) b * Q8_0_BLOCK_BYTES;
            long q = at + 2;
            long c = xOffset + (long) b * Q8_0_BLOCK;
            float t0 = 0f;
            float t1 = 0f;
            float t2 = 0f;
            float t3 = 0f;
            float t4 = 0f;
            float t5 = 0f;
            float t6 = 0f;
            float t7 = 0f;
            for (int k = 0; k < Q8_0_BLOCK; k += 8) {
                t0 += w.get(q + k) * x.get(c + k);
                t1 += w.get(q + k + 1) * x.get(c + k + 1);
                t2 += w.get(q + k + 2) * x.get(c + k + 2);
                t3 += w.get(q + k + 3) * x.get(c + k + 3);
                t4 += w.get(q + k + 4) * x.get(c + k + 4);
                t5 += w.get(q + k + 5) * x.get(c + k + 5);
                t6 += w.get(q + k + 6) * x.get(c + k + 6);
                t7 += w.get(q + k + 7) * x.get(c + k + 7);
            }
            float d = w.getHalf(at);
            s0 += d * t0;
            s1 += d * t1;
            s2 += d * t2;
            s3 += d * t3;
            s4 += d * t4;
            s5 += d * t5;
            s6 += d * t6;
            s7 += d * t7;
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * The end of a four-row work-group GEMV: the items' partial sums of rows {@code r0 .. r0+3}
     * in {@code scratch[k * L + lid]} reduced, then rows below {@code rows} written to
     * {@code out}, or added into it with {@code adding}, by items 0-3. A group past the rows
     * still meets every barrier.
     */
    static void sumAndStoreFourRows(KernelContext ctx, float[] scratch, FloatArray out, boolean adding, int r0, int rows) {
        GroupReduce.sumFourInPlace(ctx, scratch, r0 < rows);
        int lid = ctx.localIdx;
        if (lid < 4 && r0 + lid < rows) {
            float sum = scratch[lid * ctx.localGroupSizeX];
            out.set(r0 + lid, adding ? out.get(r0 + lid) + sum : sum);
        }
    }

    /** w0 * x0 + w1 * x1 for the two fp16 values packed in {@code word} (w0 in the low half). */
    static float halfPair(int word, float x0, float x1) {
        return Float.float16ToFloat((short) word) * x0 + Float.float16ToFloat((short) (word >>> 16)) * x1;
    }

    /**
     * The Q8_0 GEMV on weights split into their two parts, so that quants load as aligned 32-bit
     * words (four int8 each) instead of single bytes: {@code quants} holds row r's {@code cols}
     * int8 quants as {@code cols / 4} words (row-major, no scales between blocks) and
     * {@code scales} holds row r's {@code cols / 32} block scales (fp16). Same bytes as GGML's
     * interleaved 34-byte blocks, same result: y[r] = sum over blocks of d * sum(q * x).
     * Four rows per work-group share each x load, as in {@link #gemvF16PairsFourRows}, and each
     * item has four words of every row in flight (sixteen loads): on the H200 that ran the
     * 4096-wide shapes 11-40% faster than one word per row (4096 x 11008: 43.7 to 31.2 us;
     * 32000 x 4096: 91 to 70 us), where each group otherwise waited out several round trips.
     * Grid: {@code (ceil(rows / 4) * L, L)}. Traffic: reads 34/32 * rows * cols bytes, writes 4 * rows.
     */
    public static void gemvQ8_0SplitWordsFourRows(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x, FloatArray y,
                                                  int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int r0 = ctx.groupIdx * 4;
        fourRowPartialsQ8_0(ctx, scratch, quants, scales, x, r0, rows, cols);
        sumAndStoreFourRows(ctx, scratch, y, false, r0, rows);
    }

    /**
     * {@code acc[r] += sum_c W[r][c] x[c]}: {@link #gemvQ8_0SplitWordsFourRows} with the residual
     * add folded in (the fused Q8_0 decode layer's output and down projections). Same grid;
     * reads 4 * rows bytes more.
     */
    public static void gemvQ8_0SplitWordsFourRowsAddingInto(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x,
                                                            FloatArray acc, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(4 * GroupLimits.MAX_LOCAL_SIZE);
        int r0 = ctx.groupIdx * 4;
        fourRowPartialsQ8_0(ctx, scratch, quants, scales, x, r0, rows, cols);
        sumAndStoreFourRows(ctx, scratch, acc, true, r0, rows);
    }

    /**
     * Item lid's partial dots of split Q8_0 rows {@code r0 .. r0+3} (clamped to the last row)
     * with x, into {@code scratch[k * L + lid]}: four words of each row per iteration, sixteen
     * loads in flight.
     */
    static void fourRowPartialsQ8_0(KernelContext ctx, float[] scratch, IntArray quants, HalfArray scales, FloatArray x,
                                    int r0, int rows, int cols) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int words = cols / 4;
        if (r0 < rows) {
            long b0 = (long) r0 * words;
            long b1 = (long) Math.min(r0 + 1, rows - 1) * words;
            long b2 = (long) Math.min(r0 + 2, rows - 1) * words;
            long b3 = (long) Math.min(r0 + 3, rows - 1) * words;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int j = lid;
            for (; j + 3 * size < words; j += 4 * size) {
                int k = j + size;
                int m = k + size;
                int n = m + size;
                int q0 = quants.get(b0 + j);
                int q1 = quants.get(b1 + j);
                int q2 = quants.get(b2 + j);
                int q3 = quants.get(b3 + j);
                int p0 = quants.get(b0 + k);
                int p1 = quants.get(b1 + k);
                int p2 = quants.get(b2 + k);
                int p3 = quants.get(b3 + k);
                int u0 = quants.get(b0 + m);
                int u1 = quants.get(b1 + m);
                int u2 = quants.get(b2 + m);
                int u3 = quants.get(b3 + m);
                int v0 = quants.get(b0 + n);
                int v1 = quants.get(b1 + n);
                int v2 = quants.get(b2 + n);
                int v3 = quants.get(b3 + n);
                s0 += scaledWordDot(q0, scales, b0, x, j) + scaledWordDot(p0, scales, b0, x, k)
                        + scaledWordDot(u0, scales, b0, x, m) + scaledWordDot(v0, scales, b0, x, n);
                s1 += scaledWordDot(q1, scales, b1, x, j) + scaledWordDot(p1, scales, b1, x, k)
                        + scaledWordDot(u1, scales, b1, x, m) + scaledWordDot(v1, scales, b1, x, n);
                s2 += scaledWordDot(q2, scales, b2, x, j) + scaledWordDot(p2, scales, b2, x, k)
                        + scaledWordDot(u2, scales, b2, x, m) + scaledWordDot(v2, scales, b2, x, n);
                s3 += scaledWordDot(q3, scales, b3, x, j) + scaledWordDot(p3, scales, b3, x, k)
                        + scaledWordDot(u3, scales, b3, x, m) + scaledWordDot(v3, scales, b3, x, n);
            }
            for (; j < words; j += size) {
                s0 += scaledWordDot(quants.get(b0 + j), scales, b0, x, j);
                s1 += scaledWordDot(quants.get(b1 + j), scales, b1, x, j);
                s2 += scaledWordDot(quants.get(b2 + j), scales, b2, x, j);
                s3 += scaledWordDot(quants.get(b3 + j), scales, b3, x, j);
            }
            scratch[lid] = s0;
            scratch[size + lid] = s1;
            scratch[2 * size + lid] = s2;
            scratch[3 * size + lid] = s3;
        }
    }

    /**
     * Word {@code j} of a split Q8_0 row whose words start at word {@code rowWord}: its block's
     * scale times the dot of its four quants with {@code x[4j .. 4j+3]} (a row's 8 words per block
     * make the block index {@code (rowWord + j) / 8}).
     */
    static float scaledWordDot(int word, HalfArray scales, long rowWord, FloatArray x, int j) {
        return scales.get((rowWord + j) / 8) * quadDot(word, x.get(4 * j), x.get(4 * j + 1), x.get(4 * j + 2), x.get(4 * j + 3));
    }

    static float quadDot(int word, float x0, float x1, float x2, float x3) {
        return (byte) word * x0 + (byte) (word >> 8) * x1 + (byte) (word >> 16) * x2 + (byte) (word >> 24) * x3;
    }

    /**
     * {@code y[r] = sum_c d * q * x[c]} with GGML Q8_0 weights: row r is {@code cols / 32}
     * consecutive 34-byte blocks (little-endian fp16 scale d, then 32 int8 quants q), rows
     * back to back. {@code cols} must be a multiple of 32. Work-items stride over columns, so
     * 32 neighbouring items read one block's quants together and share its scale.
     * Traffic: reads 34/32 * rows * cols bytes of weights, writes 4 * rows.
     */
    public static void gemvQ8_0(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, int rows, int cols) {
        float[] scratch = ctx.allocateFloatLocalArray(GroupLimits.MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        long rowBytes = (long) (cols / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long rowStart = row * rowBytes;
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                long block = rowStart + (long) (c / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
                float d = w.getHalf(block);
                sum += d * w.get(block + 2 + c % Q8_0_BLOCK) * x.get(c);
            }
            float total = GroupReduce.sum(ctx, scratch, sum);
            if (lid == 0) {
                y.set(row, total);
            }
            ctx.localBarrier();
        }
    }
}
