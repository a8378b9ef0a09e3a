package org.lte4j.kernels;

import org.lte4j.runtime.api.ByteArray;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.PackedBytes;
import org.lte4j.runtime.api.Parallel;

/**
 * Matrix products for a batch of tokens, {@code Y[b][r] = sum_c W[r][c] * X[b][c]} with
 * {@code W} row-major ({@code rows x cols}, stored as the GEMVs of {@link MatVec} read it) and
 * {@code X}, {@code Y} token-major ({@code x[b * cols + c]}, {@code y[b * rows + r]}). Prompt
 * prefill runs these instead of one GEMV per token: each weight word is loaded once and serves
 * every token of the batch, so a batch of B tokens reads the weights once instead of B times.
 * Every token of the batch is computed; a partial last batch leaves its unused token rows
 * holding whatever they held (finite), which nothing downstream reads.
 *
 * <p>Two forms. GPUs run {@code matMul*FourRows}: an item keeps four rows' sums for every token
 * of the batch, so each x value it loads serves four rows (the one-row-per-group kernels these
 * replaced loaded x once per weight and ran at about 5 TFLOPS on the H200, docs/PERF.md). CPU
 * OpenCL runs {@code matMul*RowPerItem}: an item per row, no barriers, the decode's row loops.
 *
 * <p>{@code batch} must be in 1..{@link #MAX_BATCH}; specialise it (Task.specialising) so a GPU
 * compiler unrolls the per-token loops and keeps the sums in registers.
 */
public final class BatchMatMul {
    /** Largest batch: the partial sums of one item live in a private array of this size. */
    public static final int MAX_BATCH = 32;
    /** Largest work-group of the four-row kernels: their reduction needs {@code MAX_BATCH * L} floats (32 KiB) of local memory. */
    public static final int MAX_LOCAL_SIZE = 256;

    private BatchMatMul() {
    }

    /**
     * fp32 weights with one work-item per row and no barriers or local memory, for CPU OpenCL:
     * the row's dot with each token of the batch in turn ({@link MatVec#rowDotF32}, the decode
     * GEMV's row loop), so the row comes from memory once and from cache for the other tokens.
     * On PoCL a work-group form spent 616 ms on one three-token batch of llama-110m
     * (docs/PERF.md): its barriers split the group's item loop and its per-item partial arrays
     * do not vectorise. Grid: any 1-D (the loop covers {@code rows}).
     */
    public static void matMulF32RowPerItem(FloatArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        for (@Parallel int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            for (int b = 0; b < batch; b++) {
                y.set((long) b * rows + r, MatVec.rowDotF32(w, base, x, (long) b * cols, cols));
            }
        }
    }

    /** {@link #matMulF32RowPerItem} for fp16 weights packed two per word ({@link MatVec#rowDotF16Pairs}). */
    public static void matMulF16PairsRowPerItem(IntArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        for (@Parallel int r = 0; r < rows; r++) {
            long base = (long) r * (cols / 2);
            for (int b = 0; b < batch; b++) {
                y.set((long) b * rows + r, MatVec.rowDotF16Pairs(w, base, x, (long) b * cols, cols));
            }
        }
    }

    /** {@link #matMulF32RowPerItem} for GGML's interleaved Q8_0 blocks, as the CPU decode reads them ({@link MatVec#rowDotQ8_0}). */
    public static void matMulQ8_0RowPerItem(ByteArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        long rowBytes = (long) (cols / MatVec.Q8_0_BLOCK) * MatVec.Q8_0_BLOCK_BYTES;
        for (@Parallel int r = 0; r < rows; r++) {
            for (int b = 0; b < batch; b++) {
                y.set((long) b * rows + r, MatVec.rowDotQ8_0(w, r * rowBytes, x, (long) b * cols, cols));
            }
        }
    }

    /**
     * Items that share the columns of one four-row block ({@code matMul*FourRows}): a warp on
     * NVIDIA GPUs. Smaller groups use all their items.
     */
    public static final int FOUR_ROW_LANES = 32;

    /**
     * Work-groups of {@code local} items that {@code matMul*FourRows} needs for {@code rows}: a
     * group covers {@code 4 * local / lanes} rows.
     */
    public static int fourRowGroups(int rows, int local) {
        int sets = local / Math.min(local, FOUR_ROW_LANES);
        int blocks = (rows + 3) / 4;
        return (blocks + sets - 1) / sets;
    }

    /**
     * fp32 weights, four rows per item: the group's items form sets of {@code lanes =
     * min(L, }{@link #FOUR_ROW_LANES}{@code )} neighbours, each set owns four consecutive rows
     * and its lanes split the columns (neighbouring lanes, neighbouring columns: coalesced).
     * An item keeps {@code 4 x batch} sums in registers, so each x value it loads serves four
     * rows; the sets of a group read the same x columns at about the same time, from L1. No
     * barrier until the columns are done: then {@link #storeFourRowSums} adds the lanes' sums
     * through local memory. Rows past {@code rows} are read as the last row and not stored.
     *
     * <p>Each step loads every token's x values before its first multiply-add, so their loads
     * are in flight together: the loop is bound by load latency, not arithmetic (Nsight Compute
     * on the H200: stalled on L1 most cycles), and the fp16 form took 30 instead of 61 ms per
     * llama2-7b batch of 16 so. Specialise {@code rows} and {@code cols} too where the shapes
     * are few (prefill): x's per-token offsets become constants (fp16: 121 against 146 ms for a
     * 67-token prompt). Grid: {@code WorkerGrid.of(fourRowGroups(rows, L) * L, L)}, L a power of
     * two at most {@link #MAX_LOCAL_SIZE}; fewer groups loop over blocks.
     */
    public static void matMulF32FourRows(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int size = ctx.localGroupSizeX;
        int lanes = Math.min(size, FOUR_ROW_LANES);
        int sets = size / lanes;
        int lane = ctx.localIdx % lanes;
        int blocks = (rows + 3) / 4;
        int step = ctx.globalGroupSizeX / size * sets;
        for (int first = ctx.groupIdx * sets; first < blocks; first += step) {
            int r0 = 4 * Math.min(first + ctx.localIdx / lanes, blocks - 1);
            long b0 = (long) Math.min(r0, rows - 1) * cols;
            long b1 = (long) Math.min(r0 + 1, rows - 1) * cols;
            long b2 = (long) Math.min(r0 + 2, rows - 1) * cols;
            long b3 = (long) Math.min(r0 + 3, rows - 1) * cols;
            float[] acc = new float[4 * MAX_BATCH];
            float[] xs = new float[MAX_BATCH];
            for (int c = lane; c < cols; c += lanes) {
                float w0 = w.get(b0 + c);
                float w1 = w.get(b1 + c);
                float w2 = w.get(b2 + c);
                float w3 = w.get(b3 + c);
                for (int b = 0; b < batch; b++) { // every token's x first, as in matMulF16PairsFourRows
                    xs[b] = x.get((long) b * cols + c);
                }
                for (int b = 0; b < batch; b++) {
                    float xc = xs[b];
                    acc[b] += w0 * xc;
                    acc[MAX_BATCH + b] += w1 * xc;
                    acc[2 * MAX_BATCH + b] += w2 * xc;
                    acc[3 * MAX_BATCH + b] += w3 * xc;
                }
            }
            storeFourRowSums(ctx, scratch, acc, y, first, rows, batch);
        }
    }

    /**
     * {@link #matMulF32FourRows} for fp16 weights as 32-bit words of two halves (element 2j in
     * the low half), the layout {@link MatVec#gemvF16PairsFourRows} reads; {@code cols} even.
     */
    public static void matMulF16PairsFourRows(KernelContext ctx, IntArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int size = ctx.localGroupSizeX;
        int lanes = Math.min(size, FOUR_ROW_LANES);
        int sets = size / lanes;
        int lane = ctx.localIdx % lanes;
        int blocks = (rows + 3) / 4;
        int words = cols / 2;
        int step = ctx.globalGroupSizeX / size * sets;
        for (int first = ctx.groupIdx * sets; first < blocks; first += step) {
            int r0 = 4 * Math.min(first + ctx.localIdx / lanes, blocks - 1);
            long b0 = (long) Math.min(r0, rows - 1) * words;
            long b1 = (long) Math.min(r0 + 1, rows - 1) * words;
            long b2 = (long) Math.min(r0 + 2, rows - 1) * words;
            long b3 = (long) Math.min(r0 + 3, rows - 1) * words;
            float[] acc = new float[4 * MAX_BATCH];
            float[] xs = new float[2 * MAX_BATCH];
            for (int j = lane; j < words; j += lanes) {
                int p0 = w.get(b0 + j);
                int p1 = w.get(b1 + j);
                int p2 = w.get(b2 + j);
                int p3 = w.get(b3 + j);
                // every token's x values first: their loads are all in flight before the first
                // multiply-add waits on one (the GPU's load latency, not its arithmetic, bounds this loop)
                for (int b = 0; b < batch; b++) {
                    long at = (long) b * cols + 2 * j;
                    xs[2 * b] = x.get(at);
                    xs[2 * b + 1] = x.get(at + 1);
                }
                float lo0 = Float.float16ToFloat((short) p0);
                float hi0 = Float.float16ToFloat((short) (p0 >>> 16));
                float lo1 = Float.float16ToFloat((short) p1);
                float hi1 = Float.float16ToFloat((short) (p1 >>> 16));
                float lo2 = Float.float16ToFloat((short) p2);
                float hi2 = Float.float16ToFloat((short) (p2 >>> 16));
                float lo3 = Float.float16ToFloat((short) p3);
                float hi3 = Float.float16ToFloat((short) (p3 >>> 16));
                for (int b = 0; b < batch; b++) {
                    float xlo = xs[2 * b];
                    float xhi = xs[2 * b + 1];
                    // one product per statement, so each is a fused multiply-add on a GPU
                    acc[b] += lo0 * xlo;
                    acc[b] += hi0 * xhi;
                    acc[MAX_BATCH + b] += lo1 * xlo;
                    acc[MAX_BATCH + b] += hi1 * xhi;
                    acc[2 * MAX_BATCH + b] += lo2 * xlo;
                    acc[2 * MAX_BATCH + b] += hi2 * xhi;
                    acc[3 * MAX_BATCH + b] += lo3 * xlo;
                    acc[3 * MAX_BATCH + b] += hi3 * xhi;
                }
            }
            storeFourRowSums(ctx, scratch, acc, y, first, rows, batch);
        }
    }

    /**
     * {@link #matMulF32FourRows} for Q8_0 weights split as {@link MatVec#gemvQ8_0SplitWordsFourRows}
     * reads them: row r's int8 quants as {@code cols / 4} words and its {@code cols / 32} fp16 block
     * scales; {@code cols} a multiple of 32. A lane dequantises one word of each of its four rows
     * per step: sixteen weights for {@code 16 x batch} multiply-adds. Unlike the fp16 form it
     * loads each token's x values where they are used and is specialised on the batch only: on
     * the H200 either change made it slower (a 67-token llama2-7b prompt in 161 and 198 ms against
     * 115), nvcc then giving an item 128 registers instead of 168.
     */
    public static void matMulQ8_0SplitWordsFourRows(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x, FloatArray y,
                                                    int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int size = ctx.localGroupSizeX;
        int lanes = Math.min(size, FOUR_ROW_LANES);
        int sets = size / lanes;
        int lane = ctx.localIdx % lanes;
        int blocks = (rows + 3) / 4;
        int words = cols / 4;
        int scalesPerRow = cols / MatVec.Q8_0_BLOCK;
        int step = ctx.globalGroupSizeX / size * sets;
        for (int first = ctx.groupIdx * sets; first < blocks; first += step) {
            int r0 = 4 * Math.min(first + ctx.localIdx / lanes, blocks - 1);
            int row0 = Math.min(r0, rows - 1);
            int row1 = Math.min(r0 + 1, rows - 1);
            int row2 = Math.min(r0 + 2, rows - 1);
            int row3 = Math.min(r0 + 3, rows - 1);
            float[] acc = new float[4 * MAX_BATCH];
            for (int j = lane; j < words; j += lanes) {
                int q0 = quants.get((long) row0 * words + j);
                int q1 = quants.get((long) row1 * words + j);
                int q2 = quants.get((long) row2 * words + j);
                int q3 = quants.get((long) row3 * words + j);
                float d0 = scales.get((long) row0 * scalesPerRow + j / 8);
                float d1 = scales.get((long) row1 * scalesPerRow + j / 8);
                float d2 = scales.get((long) row2 * scalesPerRow + j / 8);
                float d3 = scales.get((long) row3 * scalesPerRow + j / 8);
                float w00 = d0 * (byte) q0;
                float w01 = d0 * (byte) (q0 >> 8);
                float w02 = d0 * (byte) (q0 >> 16);
                float w03 = d0 * (byte) (q0 >> 24);
                float w10 = d1 * (byte) q1;
                float w11 = d1 * (byte) (q1 >> 8);
                float w12 = d1 * (byte) (q1 >> 16);
                float w13 = d1 * (byte) (q1 >> 24);
                float w20 = d2 * (byte) q2;
                float w21 = d2 * (byte) (q2 >> 8);
                float w22 = d2 * (byte) (q2 >> 16);
                float w23 = d2 * (byte) (q2 >> 24);
                float w30 = d3 * (byte) q3;
                float w31 = d3 * (byte) (q3 >> 8);
                float w32 = d3 * (byte) (q3 >> 16);
                float w33 = d3 * (byte) (q3 >> 24);
                for (int b = 0; b < batch; b++) {
                    long at = (long) b * cols + 4 * j;
                    float x0 = x.get(at);
                    float x1 = x.get(at + 1);
                    float x2 = x.get(at + 2);
                    float x3 = x.get(at + 3);
                    acc[b] += w00 * x0;
                    acc[b] += w01 * x1;
                    acc[b] += w02 * x2;
                    acc[b] += w03 * x3;
                    acc[MAX_BATCH + b] += w10 * x0;
                    acc[MAX_BATCH + b] += w11 * x1;
                    acc[MAX_BATCH + b] += w12 * x2;
                    acc[MAX_BATCH + b] += w13 * x3;
                    acc[2 * MAX_BATCH + b] += w20 * x0;
                    acc[2 * MAX_BATCH + b] += w21 * x1;
                    acc[2 * MAX_BATCH + b] += w22 * x2;
                    acc[2 * MAX_BATCH + b] += w23 * x3;
                    acc[3 * MAX_BATCH + b] += w30 * x0;
                    acc[3 * MAX_BATCH + b] += w31 * x1;
                    acc[3 * MAX_BATCH + b] += w32 * x2;
                    acc[3 * MAX_BATCH + b] += w33 * x3;
                }
            }
            storeFourRowSums(ctx, scratch, acc, y, first, rows, batch);
        }
    }

    /**
     * {@link #matMulQ8_0SplitWordsFourRows} over int8 blocks of x ({@link QuantizedInputMatVec#quantize}
     * of the whole batch, token-major: token b's words at {@code b * cols / 4}, its block scales at
     * {@code b * cols / 32}), as the CUDA decode multiplies Q8_0 weights: a lane takes one whole
     * block (eight words) of each of its four rows per step and, per token, eight integer dots of
     * four bytes ({@link PackedBytes#dot}, one {@code __dp4a} each) per row, then one conversion
     * and one multiply-add with the two scales: 32 weights times a token in 9 instructions where
     * the float form spends 32 multiply-adds and 32 loads. {@code cols} a multiple of 32.
     */
    public static void matMulQ8_0Int8InputFourRows(KernelContext ctx, IntArray quants, HalfArray scales, IntArray xQuants,
                                                   FloatArray xScales, FloatArray y, int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int size = ctx.localGroupSizeX;
        int lanes = Math.min(size, FOUR_ROW_LANES);
        int sets = size / lanes;
        int lane = ctx.localIdx % lanes;
        int blocks = (rows + 3) / 4;
        int words = cols / 4;
        int quantBlocks = cols / MatVec.Q8_0_BLOCK;
        int step = ctx.globalGroupSizeX / size * sets;
        for (int first = ctx.groupIdx * sets; first < blocks; first += step) {
            int r0 = 4 * Math.min(first + ctx.localIdx / lanes, blocks - 1);
            int row0 = Math.min(r0, rows - 1);
            int row1 = Math.min(r0 + 1, rows - 1);
            int row2 = Math.min(r0 + 2, rows - 1);
            int row3 = Math.min(r0 + 3, rows - 1);
            float[] acc = new float[4 * MAX_BATCH];
            int[] w = new int[32];
            for (int k = lane; k < quantBlocks; k += lanes) {
                for (int i = 0; i < 8; i++) {
                    w[i] = quants.get((long) row0 * words + 8 * k + i);
                    w[8 + i] = quants.get((long) row1 * words + 8 * k + i);
                    w[16 + i] = quants.get((long) row2 * words + 8 * k + i);
                    w[24 + i] = quants.get((long) row3 * words + 8 * k + i);
                }
                float d0 = scales.get((long) row0 * quantBlocks + k);
                float d1 = scales.get((long) row1 * quantBlocks + k);
                float d2 = scales.get((long) row2 * quantBlocks + k);
                float d3 = scales.get((long) row3 * quantBlocks + k);
                for (int b = 0; b < batch; b++) {
                    long xo = (long) b * words + 8 * k;
                    int s0 = 0;
                    int s1 = 0;
                    int s2 = 0;
                    int s3 = 0;
                    for (int i = 0; i < 8; i++) {
                        int xw = xQuants.get(xo + i);
                        s0 += PackedBytes.dot(w[i], xw);
                        s1 += PackedBytes.dot(w[8 + i], xw);
                        s2 += PackedBytes.dot(w[16 + i], xw);
                        s3 += PackedBytes.dot(w[24 + i], xw);
                    }
                    float dx = xScales.get((long) b * quantBlocks + k);
                    acc[b] += d0 * dx * s0;
                    acc[MAX_BATCH + b] += d1 * dx * s1;
                    acc[2 * MAX_BATCH + b] += d2 * dx * s2;
                    acc[3 * MAX_BATCH + b] += d3 * dx * s3;
                }
            }
            storeFourRowSums(ctx, scratch, acc, y, first, rows, batch);
        }
    }

    /**
     * The end of a four-row block: item {@code (set, lane)} holds, in {@code acc[i * MAX_BATCH + b]},
     * its lane's part of row {@code 4 (first + set) + i} for token b. Four rounds, one row of each
     * set's block per round: every item writes its {@code batch} sums to local memory, then one
     * item per (set, token) adds its set's lanes in a fixed order (starting at lane {@code t mod
     * lanes}, t its index: neighbouring items read different banks) and stores rows below
     * {@code rows}. Every item of the group must call it; starts with a barrier, so the caller's
     * next block may reuse {@code scratch} after the last round's reads.
     */
    static void storeFourRowSums(KernelContext ctx, float[] scratch, float[] acc, FloatArray y, int first, int rows, int batch) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int lanes = Math.min(size, FOUR_ROW_LANES);
        int sets = size / lanes;
        for (int i = 0; i < 4; i++) {
            ctx.localBarrier(); // the previous round's sums are read before they are overwritten
            for (int b = 0; b < batch; b++) {
                scratch[b * size + lid] = acc[i * MAX_BATCH + b];
            }
            ctx.localBarrier();
            for (int t = lid; t < sets * batch; t += size) {
                int set = t / batch;
                int b = t - set * batch;
                int base = b * size + set * lanes;
                float sum = 0;
                for (int l = 0; l < lanes; l++) {
                    sum += scratch[base + ((l + t) & (lanes - 1))];
                }
                int row = 4 * (first + set) + i;
                if (row < rows) {
                    y.set((long) b * rows + row, sum);
                }
            }
        }
    }
}
